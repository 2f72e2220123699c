// The incidents queue, keyboard-first: y links the pair, n marks it not the same, j and k move
// to the next and previous pair, u undoes your last decision. Each key clicks the button or
// link the page shows for it, so a key does exactly what the visible control does (htmx posts
// the form and swaps the queue). Keys are read by position too (event.code), so they work
// with an Arabic keyboard layout.
const KEYS = { y: "#link-button", n: "#reject-button", j: "#queue-next", k: "#queue-prev", u: "#undo-button" };
const CODES = { KeyY: "y", KeyN: "n", KeyJ: "j", KeyK: "k", KeyU: "u" };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  if (event.target.closest("input, select, textarea, [contenteditable]")) return;
  const key = KEYS[event.key] ? event.key : CODES[event.code];
  const control = key && document.querySelector(KEYS[key]);
  if (!control) return;
  event.preventDefault();
  // One decision at a time: a key pressed while the last one is on its way is dropped (the
  // server would refuse a second decision on the same pair anyway).
  if (document.querySelector("#queue .htmx-request, #queue.htmx-request")) return;
  control.click();
});
