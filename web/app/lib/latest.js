// As-you-type requests (pure: timers and AbortController are passed in or global).
//
// createLatest(run, { delay }) returns a function `trigger(input)`: after `delay` ms with
// no newer trigger, it calls run(input, signal). Starting a run aborts the one before it,
// and a result (or error) arrives through onResult/onError only when its run is still the
// latest, so a slow stale reply never overwrites a newer one.

export function createLatest(run, {
  delay = 200,
  onStart = () => {},
  onResult = () => {},
  onError = () => {},
  setTimer = (fn, ms) => setTimeout(fn, ms),
  clearTimer = (t) => clearTimeout(t),
  makeController = () => new AbortController(),
} = {}) {
  let timer = null;
  let controller = null;
  let generation = 0;

  function start(input) {
    timer = null;
    if (controller) controller.abort();
    const mine = ++generation;
    const ctl = makeController();
    controller = ctl;
    onStart(input);
    let promise;
    try {
      promise = Promise.resolve(run(input, ctl.signal));
    } catch (e) {
      promise = Promise.reject(e);
    }
    return promise.then(
      (value) => {
        if (mine === generation) {
          controller = null;
          onResult(value, input);
        }
      },
      (error) => {
        if (mine !== generation) return;
        controller = null;
        if (error && error.name === 'AbortError') return;
        onError(error, input);
      },
    );
  }

  function trigger(input, { now = false } = {}) {
    if (timer !== null) clearTimer(timer);
    if (now || delay <= 0) return start(input);
    timer = setTimer(() => start(input), delay);
    return undefined;
  }

  trigger.cancel = () => {
    if (timer !== null) clearTimer(timer);
    timer = null;
    generation++;
    if (controller) controller.abort();
    controller = null;
  };

  trigger.pending = () => timer !== null || controller !== null;

  return trigger;
}
