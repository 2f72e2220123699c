// The annotation page: turn a mouse or keyboard selection into piece ids the server
// rendered (data-t="token.part"), never raw offsets, and label it with keys or buttons.
(function () {
  "use strict";
  const doc = document.getElementById("doc");
  const form = document.getElementById("label-form");
  if (!doc || !form) return;
  const startInput = document.getElementById("sel-start");
  const endInput = document.getElementById("sel-end");
  const selText = document.getElementById("sel-text");
  const hint = selText.textContent;
  const spanUrl = document.querySelector("[data-span-url]").dataset.spanUrl;

  let cursor = null; // keyboard: the piece the cursor is on
  let anchor = null; // keyboard: where Shift-selection started

  const pieces = () => Array.from(doc.querySelectorAll("[data-t]"));
  const pieceOf = (node) =>
    node && (node.nodeType === 1 ? node : node.parentElement).closest("[data-t]");

  function setSelection(first, last) {
    if (!first || !last) {
      startInput.value = endInput.value = "";
      selText.textContent = hint;
      form.classList.remove("ready");
      return;
    }
    startInput.value = first.dataset.t;
    endInput.value = last.dataset.t;
    const range = document.createRange();
    range.setStartBefore(first);
    range.setEndAfter(last);
    selText.textContent = "«" + range.toString() + "»";
    form.classList.add("ready");
  }

  // The pieces a DOM range overlaps by at least one character: a range that only
  // touches a piece's edge (a common result of double-click or drag) does not count.
  function piecesInRange(range) {
    const root = range.commonAncestorContainer;
    const scope = root.nodeType === 1 ? root : root.parentElement;
    const inside = pieceOf(scope);
    const candidates = inside ? [inside] : Array.from(scope.querySelectorAll("[data-t]"));
    return candidates.filter((el) => {
      const text = document.createRange();
      text.selectNodeContents(el);
      // START_TO_END compares range's end with text's start; END_TO_START range's start with text's end.
      return (
        range.compareBoundaryPoints(Range.START_TO_END, text) === 1 &&
        range.compareBoundaryPoints(Range.END_TO_START, text) === -1
      );
    });
  }

  function fromMouse() {
    const sel = window.getSelection();
    if (!sel.rangeCount || sel.isCollapsed) return false;
    const range = sel.getRangeAt(0);
    if (!doc.contains(range.commonAncestorContainer)) return false;
    const hit = piecesInRange(range);
    if (!hit.length) return false;
    clearCursor();
    setSelection(hit[0], hit[hit.length - 1]);
    return true;
  }

  function clearCursor() {
    doc.querySelectorAll(".cursor, .kbd-sel").forEach((el) => el.classList.remove("cursor", "kbd-sel"));
    cursor = anchor = null;
  }

  function moveCursor(step, extend) {
    const all = pieces();
    let index = cursor ? all.findIndex((el) => el.dataset.t === cursor) : -1;
    index = Math.min(Math.max(index + step, 0), all.length - 1);
    if (index < 0) return;
    if (extend && anchor === null) anchor = cursor || all[index].dataset.t;
    if (!extend) anchor = null;
    cursor = all[index].dataset.t;
    doc.querySelectorAll(".cursor, .kbd-sel").forEach((el) => el.classList.remove("cursor", "kbd-sel"));
    all[index].classList.add("cursor");
    all[index].scrollIntoView({ block: "nearest" });
    if (anchor !== null) {
      const a = all.findIndex((el) => el.dataset.t === anchor);
      const [lo, hi] = a <= index ? [a, index] : [index, a];
      for (let i = lo; i <= hi; i++) all[i].classList.add("kbd-sel");
      setSelection(all[lo], all[hi]);
    } else {
      setSelection(null, null);
    }
  }

  function submit(button) {
    // A panel swapped in a moment ago may not be wired up by htmx yet; a key is faster
    // than its settle delay. A click, so htmx sends the button's name and value.
    htmx.process(button.closest("form"));
    button.click();
  }

  function openSpan(mark) {
    const id = mark.dataset.spans.split(" ")[0]; // innermost span first
    htmx.ajax("GET", spanUrl.replace(/0\/$/, id + "/"), { target: "#span-panel", swap: "outerHTML" });
  }

  doc.addEventListener("mouseup", () => setTimeout(fromMouse, 0));
  document.addEventListener("selectionchange", () => {
    const sel = window.getSelection();
    if (sel.rangeCount && !sel.isCollapsed && doc.contains(sel.anchorNode)) fromMouse();
  });

  doc.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-spans]");
    if (mark && window.getSelection().isCollapsed) openSpan(mark);
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const panel = document.getElementById("span-panel");
    const hasSelection = startInput.value && endInput.value;
    // event.code, not event.key: Arabic keyboards type ١٢٣ on the same keys.
    const digit = /^Digit([1-9])$/.exec(event.code);
    if (digit) {
      const n = Number(digit[1]);
      const candidates = panel.querySelectorAll("#candidates button[data-candidate]");
      let button = null;
      if (hasSelection) button = form.querySelectorAll("button[name=label]")[n - 1];
      else if (candidates.length && !event.shiftKey) button = candidates[n - 1];
      else if (panel.querySelector("form.relabel")) {
        button = panel.querySelectorAll("form.relabel button[name=label]")[n - 1];
      }
      if (button && !button.disabled) {
        event.preventDefault();
        submit(button);
      }
    } else if ((event.key === "Delete" || event.key === "Backspace") && panel.querySelector("form.delete")) {
      event.preventDefault();
      submit(panel.querySelector("form.delete button"));
    } else if (event.key === "Escape") {
      clearCursor();
      setSelection(null, null);
      window.getSelection().removeAllRanges();
    } else if (doc.contains(document.activeElement) || document.activeElement === doc) {
      // In right-to-left text the next word is to the left.
      const step = { ArrowLeft: 1, ArrowRight: -1 }[event.key];
      if (step) {
        event.preventDefault();
        moveCursor(step, event.shiftKey);
      } else if (event.key === "Enter" && document.activeElement.matches("mark[data-spans]")) {
        openSpan(document.activeElement);
      }
    }
  });

  // After a change the server swaps the touched paragraphs; clear the old selection.
  document.body.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt === form || event.detail.elt.closest("#span-panel")) {
      // Refusals (409, 422) are swapped in to show their message but must keep the selection.
      if (event.detail.xhr.status < 300) {
        clearCursor();
        setSelection(null, null);
        window.getSelection().removeAllRanges();
      }
    }
  });
})();
