// Adjudication, keyboard first: move through the disagreements and answer each with the
// annotator's number. The server re-renders the list; the cursor stays where it was.
(function () {
  "use strict";
  let current = 0;
  let lastKey = null;

  const list = () => Array.from(document.querySelectorAll("#items li.item"));

  function focus(index) {
    const items = list();
    if (!items.length) return;
    current = Math.max(0, Math.min(index, items.length - 1));
    items.forEach((li, i) => li.classList.toggle("current", i === current));
    const li = items[current];
    lastKey = li.dataset.key;
    li.scrollIntoView({ block: "nearest" });
    // Show the item's spans in every column.
    const ids = new Set((li.dataset.spans || "").split(" ").filter(Boolean));
    document.querySelectorAll(".columns mark.ent").forEach((mark) => {
      const hit = mark.dataset.spans.split(" ").some((id) => ids.has(id));
      mark.classList.toggle("focus", hit);
    });
  }

  function nextOpen(from) {
    const items = list();
    for (let i = 1; i <= items.length; i++) {
      const j = (from + i) % items.length;
      if (!items[j].classList.contains("decided")) return j;
    }
    return from;
  }

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const items = list();
    if (!items.length) return;
    if (event.key === "j" || event.key === "ArrowDown") focus(current + 1);
    else if (event.key === "k" || event.key === "ArrowUp") focus(current - 1);
    else if (event.key === "n") focus(nextOpen(current));
    else if (/^[0-9]$/.test(event.key)) {
      const button = items[current].querySelector(`button[data-n="${event.key}"]`);
      if (!button) return;
      button.click();
    } else return;
    event.preventDefault();
  });

  document.addEventListener("click", (event) => {
    const li = event.target.closest("#items li.item");
    if (li) focus(list().indexOf(li));
  });

  // After a decision the list is replaced: keep the cursor on the answered item, then
  // move on to the next open one.
  document.body.addEventListener("htmx:afterSettle", () => {
    const items = list();
    const at = items.findIndex((li) => li.dataset.key === lastKey);
    const here = at < 0 ? current : at;
    focus(items[here] && items[here].classList.contains("decided") ? nextOpen(here) : here);
  });

  focus(nextOpen(-1));
})();
