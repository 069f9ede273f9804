// GET /api/v1/app ({ version, salesforce_url, marketo_configured }), fetched once and shared.
// Any failure (an older hail without the route: 404) counts as "nothing known": pages then
// show Salesforce ids as text instead of links.
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

let pending = null;
let known = undefined;

export function loadAppInfo() {
  if (!pending) {
    pending = api('GET', '/api/v1/app').then(
      (info) => {
        known = info && typeof info === 'object' ? info : null;
        return known;
      },
      (error) => {
        known = null;
        // hail without the route (404) stays "nothing known"; a transient failure (hail
        // unreachable, busy) is asked again by the next page.
        if (!error || error.status !== 404) pending = null;
        return null;
      },
    );
  }
  return pending;
}

// undefined while loading, then the info object or null.
export function useAppInfo() {
  const [info, setInfo] = useState(known);
  useEffect(() => {
    let live = true;
    if (known === undefined || pending === null) loadAppInfo().then((v) => live && setInfo(v));
    return () => {
      live = false;
    };
  }, []);
  return info;
}
