// The pure rules of the Holidays page and My settings (web/app/pages/admin/time-rules.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDay, dayLabel, isWeekend, yearQuery, yearOf, validateHoliday, savedMessage, zoneChoices,
  browserZoneOffer, localTimeIn,
} from '../../app/pages/admin/time-rules.js';

test('days are YYYY-MM-DD real dates from 1900', () => {
  assert.deepEqual(parseDay('2028-02-29'), { y: 2028, m: 2, d: 29 });
  assert.deepEqual(parseDay('2026-12-31'), { y: 2026, m: 12, d: 31 });
  for (const bad of ['2027-02-29', '2100-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-2-3',
    '1899-12-31', '20261225', '2026-12-25 ', '', null, undefined])
    assert.equal(parseDay(bad), null, String(bad));
  assert.deepEqual(parseDay('2000-02-29'), { y: 2000, m: 2, d: 29 });
});

test('labels, weekends, years', () => {
  assert.equal(dayLabel('2026-12-25'), 'Friday, 25 December 2026');
  assert.equal(dayLabel('2028-02-29'), 'Tuesday, 29 February 2028');
  assert.equal(dayLabel('nope'), 'nope');
  assert.equal(dayLabel(''), '—');
  assert.equal(isWeekend('2026-12-26'), true);
  assert.equal(isWeekend('2026-12-27'), true);
  assert.equal(isWeekend('2026-12-25'), false);
  assert.equal(isWeekend('bad'), false);
  assert.deepEqual(yearQuery(2027), { from: '2027-01-01', to: '2027-12-31' });
  assert.equal(yearOf('2027-07-04'), 2027);
  assert.equal(yearOf('x'), null);
});

test('the add form names each wrong field', () => {
  assert.deepEqual(validateHoliday({ day: '2026-12-25', name: 'Christmas Day' }), {});
  assert.deepEqual(validateHoliday({}), { day: 'Choose a date.', name: 'Enter a name, such as Christmas Day.' });
  assert.deepEqual(validateHoliday({ day: '2026-02-30', name: '  ' }),
    { day: 'Enter a date such as 2026-12-25.', name: 'Enter a name, such as Christmas Day.' });
  assert.deepEqual(validateHoliday({ day: '2026-12-25', name: 'é'.repeat(201) }),
    { name: 'A name can have at most 200 characters, not 201.' });
  assert.deepEqual(validateHoliday({ day: '2026-12-25', name: '😀'.repeat(200) }), {});
});

test('what the page says after saving', () => {
  assert.equal(savedMessage('2026-12-25', 'Christmas Day'),
    'Friday, 25 December 2026 is a holiday: Christmas Day. No campaign sends and no task is due that day.');
  assert.equal(savedMessage('2026-12-25', 'Christmas Day', 'Christmas'),
    'Friday, 25 December 2026 is now called Christmas Day (it was Christmas).');
  assert.equal(savedMessage('2026-12-25', 'Christmas', 'Christmas'), 'Friday, 25 December 2026 is already Christmas.');
});

test('time zone choices', () => {
  const zones = ['America/New_York', 'Europe/Berlin', 'UTC'];
  assert.deepEqual(zoneChoices(zones, 'UTC'), zones);
  assert.deepEqual(zoneChoices(zones, 'US/Eastern'), ['US/Eastern', ...zones]);
  assert.deepEqual(zoneChoices(null, 'UTC'), ['UTC']);
  assert.equal(browserZoneOffer(zones, 'UTC', 'Europe/Berlin'), 'Europe/Berlin');
  assert.equal(browserZoneOffer(zones, 'Europe/Berlin', 'Europe/Berlin'), null);
  assert.equal(browserZoneOffer(zones, 'UTC', 'Asia/Kolkata'), null);
  assert.equal(browserZoneOffer(zones, 'UTC', undefined), null);
  // Chromium says Asia/Calcutta for Asia/Kolkata
  assert.equal(browserZoneOffer([...zones, 'Asia/Kolkata'], 'UTC', 'Asia/Calcutta'), 'Asia/Kolkata');
  assert.equal(browserZoneOffer([...zones, 'Asia/Kolkata'], 'Asia/Kolkata', 'Asia/Calcutta'), null);
  // 2026-03-08T07:30Z: 03:30 in New York (EDT since 07:00Z), 13:00 in Kolkata
  const t = Date.UTC(2026, 2, 8, 7, 30);
  assert.equal(localTimeIn('America/New_York', t), '03:30 on Sunday');
  assert.equal(localTimeIn('Asia/Kolkata', t), '13:00 on Sunday');
  assert.equal(localTimeIn('Not/AZone', t), '');
});
