// The main navigation's "Tasks" link with the number of the user's tasks overdue or due
// today (GET /api/v1/tasks/counts?assignee=me), asked again on every page change and
// whenever a task changes (the window event "hail:tasks-changed").
import { useEffect, useState } from 'preact/hooks';
import { html } from '../lib/html.js';
import { api } from '../lib/api.js';
import { Link, location } from '../lib/router.js';
import { formatCount } from '../lib/format.js';
import { navCount } from './tasks-rules.js';

export const TASKS_CHANGED = 'hail:tasks-changed';

export function tasksChanged() {
  if (typeof window !== 'undefined') window.dispatchEvent(new CustomEvent(TASKS_CHANGED));
}

export function TasksNavLink() {
  const path = location.value.path;
  const [count, setCount] = useState(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    const bump = () => setRound((n) => n + 1);
    window.addEventListener(TASKS_CHANGED, bump);
    return () => window.removeEventListener(TASKS_CHANGED, bump);
  }, []);
  useEffect(() => {
    const ac = new AbortController();
    api('GET', '/api/v1/tasks/counts', { query: { assignee: 'me' }, signal: ac.signal }).then(
      (c) => setCount(navCount(c)),
      () => {}, // the count is a hint: without it the link still works
    );
    return () => ac.abort();
  }, [path, round]);
  const current = path === '/tasks' || path.startsWith('/tasks/');
  return html`<li><${Link} href="/tasks" class="nav-link" aria-current=${current ? 'page' : undefined}>Tasks${count
    ? html` <span class="nav-count">${formatCount(count)}<span class="visually-hidden"> due today or overdue</span></span>` : null}</${Link}></li>`;
}
