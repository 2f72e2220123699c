// The annotation page: turn a mouse or keyboard selection into piece ids the server
// rendered (data-t="token.part"), never raw offsets, and label it with keys or buttons.
//
// Keyboard: ← → move a cursor word by word (every piece of a word, و|مسكنة, at once);
// Alt+← → one piece at a time, so a span can start after a proclitic. Shift extends a
// selection from where the cursor was. Work per key press stays within one paragraph:
// a long article's other words are never queried.
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

  // A unit is what the cursor stands on: a word's pieces, or one piece. {first, last}
  let cursor = null;
  let anchor = null; // the unit where Shift-selection started
  let lit = []; // pieces now drawn as cursor or selection, cleared without searching the text
  let openMarks = []; // marks of the span whose panel is open
  // The span panel being fetched: a key pressed meanwhile acts on the span just clicked,
  // not on the panel it replaces (whose write would also land in a detached element).
  let panelLoad = Promise.resolve();

  const pieceOf = (node) =>
    node && (node.nodeType === 1 ? node : node.parentElement).closest("[data-t]");
  const tokenOf = (piece) => piece.dataset.t.slice(0, piece.dataset.t.indexOf("."));
  const paragraphOf = (piece) => piece.closest(".para");

  // The pieces of one paragraph in reading order. A swapped paragraph is a new element,
  // so the cache never serves pieces that are gone.
  const paragraphPieces = new WeakMap();
  function piecesOf(paragraph) {
    let list = paragraphPieces.get(paragraph);
    if (!list) {
      list = Array.from(paragraph.querySelectorAll("[data-t]"));
      paragraphPieces.set(paragraph, list);
    }
    return list;
  }

  function setSelection(first, last) {
    if (!first || !last) {
      startInput.value = endInput.value = "";
      selText.textContent = hint; // the interface's language and direction
      form.classList.remove("ready");
      return;
    }
    startInput.value = first.dataset.t;
    endInput.value = last.dataset.t;
    const range = document.createRange();
    range.setStartBefore(first);
    range.setEndAfter(last);
    // Arabic words in their own direction: a selection of digits (٣) has no strong letter
    // for dir="auto" to go by, and the hint must not inherit the words' direction.
    const words = document.createElement("bdi");
    words.dir = "rtl";
    words.lang = "ar";
    words.textContent = "«" + range.toString() + "»";
    selText.replaceChildren(words);
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

  function unlight() {
    lit.forEach((el) => el.classList.remove("cursor", "kbd-sel"));
    lit = [];
  }

  function clearCursor() {
    unlight();
    cursor = anchor = null;
  }

  // The piece before (step -1) or after (+1) a piece in reading order, across paragraphs.
  function neighbour(piece, step) {
    let paragraph = paragraphOf(piece);
    let list = piecesOf(paragraph);
    let i = list.indexOf(piece) + step;
    while (i < 0 || i >= list.length) {
      paragraph = step > 0 ? paragraph.nextElementSibling : paragraph.previousElementSibling;
      if (!paragraph) return null;
      list = piecesOf(paragraph);
      i = step > 0 ? 0 : list.length - 1;
    }
    return list[i];
  }

  // Every piece of the word a piece belongs to (they share the token number).
  function wordAt(piece) {
    const list = piecesOf(paragraphOf(piece));
    const token = tokenOf(piece);
    let a = list.indexOf(piece);
    let b = a;
    while (a > 0 && tokenOf(list[a - 1]) === token) a--;
    while (b < list.length - 1 && tokenOf(list[b + 1]) === token) b++;
    return { first: list[a], last: list[b] };
  }

  function firstPiece() {
    const paragraph = doc.querySelector(".para");
    return paragraph && piecesOf(paragraph)[0];
  }

  function moveCursor(step, extend, byPiece) {
    if (cursor && !cursor.first.isConnected) clearCursor(); // its paragraph was redrawn
    let target;
    if (!cursor) target = firstPiece();
    // By piece, from the unit's first piece: from و|مسكنة the next stop is مسكنة.
    else if (byPiece) target = neighbour(cursor.first, step);
    else target = neighbour(step > 0 ? cursor.last : cursor.first, step);
    if (!target) return;
    let unit = byPiece ? { first: target, last: target } : wordAt(target);
    if (extend) {
      const from = anchor || cursor || unit;
      // A span never crosses a paragraph break; the selection stops at its edge.
      if (paragraphOf(from.first) !== paragraphOf(unit.first)) return;
      // Back on the word it started in, the selection is where it started (a piece stays one).
      if (tokenOf(unit.first) === tokenOf(from.first)) unit = from;
      anchor = from;
    } else {
      anchor = null;
    }
    cursor = unit;
    paint();
  }

  // Document order of two pieces of one paragraph.
  const before = (a, b) => a === b || !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);

  function light(first, last, name) {
    const list = piecesOf(paragraphOf(first));
    for (let i = list.indexOf(first); i < list.length; i++) {
      list[i].classList.add(name);
      lit.push(list[i]);
      if (list[i] === last) break;
    }
  }

  function paint() {
    unlight();
    light(cursor.first, cursor.last, "cursor");
    if (anchor) {
      const first = before(anchor.first, cursor.first) ? anchor.first : cursor.first;
      const last = before(anchor.last, cursor.last) ? cursor.last : anchor.last;
      light(first, last, "kbd-sel");
      setSelection(first, last);
    } else {
      setSelection(null, null);
    }
    cursor.first.scrollIntoView({ block: "nearest" });
  }

  function submit(button) {
    // A panel swapped in a moment ago may not be wired up by htmx yet; a key is faster
    // than its settle delay. A click, so htmx sends the button's name and value.
    htmx.process(button.closest("form"));
    button.click();
  }

  // On a location plain digits pick a candidate place and Shift+digits relabel; elsewhere
  // digits relabel.
  function pressInPanel(n, shift) {
    const panel = document.getElementById("span-panel");
    const candidates = panel.querySelectorAll("#candidates button[data-candidate]");
    let button = null;
    if (candidates.length && !shift) button = candidates[n - 1];
    else button = panel.querySelectorAll("form.relabel button[name=label]")[n - 1];
    if (button && !button.disabled) submit(button);
  }

  function openSpan(mark) {
    const id = mark.dataset.spans.split(" ")[0]; // innermost span first
    const url = spanUrl.replace(/0\/$/, id + "/");
    panelLoad = htmx.ajax("GET", url, { target: "#span-panel", swap: "outerHTML" }).catch(() => {});
  }

  // The open span's words are outlined in the text while its panel shows it.
  function markOpen() {
    openMarks.forEach((mark) => mark.classList.remove("open"));
    const panel = document.getElementById("span-panel");
    const id = panel && panel.dataset.span;
    openMarks = id ? Array.from(doc.querySelectorAll('mark[data-spans~="' + id + '"]')) : [];
    openMarks.forEach((mark) => mark.classList.add("open"));
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

  const inText = () => doc.contains(document.activeElement) || document.activeElement === doc;
  // In right-to-left text the next word is to the left.
  const steps = { ArrowLeft: 1, ArrowRight: -1 };

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    // event.code, not event.key: Arabic keyboards type other letters and digits on these keys.
    if ((event.ctrlKey || event.metaKey) && event.code === "KeyZ" && !event.shiftKey && !event.altKey) {
      const undo = document.getElementById("undo"); // offered after a delete
      if (undo) {
        event.preventDefault();
        submit(undo);
      }
      return;
    }
    if (event.ctrlKey || event.metaKey) return;
    if (event.altKey) {
      // Alt+← → is the browser's Back and Forward; inside the text it moves by piece instead.
      if (steps[event.key] && inText()) {
        event.preventDefault();
        moveCursor(steps[event.key], event.shiftKey, true);
      }
      return;
    }
    const hasSelection = startInput.value && endInput.value;
    const digit = /^Digit([1-9])$/.exec(event.code);
    // A read-only page keeps the label form hidden: digits label nothing there.
    if (digit && hasSelection && !form.hidden) {
      const button = form.querySelectorAll("button[name=label]")[Number(digit[1]) - 1];
      if (button) {
        event.preventDefault();
        submit(button);
      }
    } else if (digit) {
      event.preventDefault();
      panelLoad.then(() => pressInPanel(Number(digit[1]), event.shiftKey));
    } else if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      panelLoad.then(() => {
        const button = document.querySelector("#span-panel form.delete button");
        if (button) submit(button);
      });
    } else if (event.key === "Escape") {
      clearCursor();
      setSelection(null, null);
      window.getSelection().removeAllRanges();
    } else if (inText()) {
      const step = steps[event.key];
      if (step) {
        event.preventDefault();
        moveCursor(step, event.shiftKey, false);
      } else if (event.key === "Enter") {
        const under = document.activeElement.matches("mark[data-spans]")
          ? document.activeElement
          : cursor && cursor.first.closest("mark[data-spans]");
        if (under) openSpan(under);
      }
    }
  });

  // Panel writes send the page's current version (the last write this page saw, kept in
  // #layer-version), not the one the panel was drawn with: an event saved in between is
  // no conflict. Another tab's write still is, since this page has not seen it.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const current = document.getElementById("layer-version");
    const params = event.detail.parameters;
    if (current && params.version !== undefined && event.detail.elt.closest("#span-panel, #messages")) {
      params.version = current.value;
    }
  });

  // After a change the server swaps the touched paragraphs; clear the old selection.
  document.body.addEventListener("htmx:afterRequest", (event) => {
    const elt = event.detail.elt;
    if (elt === form || elt.closest("#span-panel, #messages")) {
      // Refusals (409, 422) are swapped in to show their message but must keep the selection.
      if (event.detail.xhr.status < 300) {
        clearCursor();
        setSelection(null, null);
        window.getSelection().removeAllRanges();
      }
    }
  });
  // At the swap, not only after htmx's settle delay: the outline appears with the panel.
  document.body.addEventListener("htmx:afterSwap", markOpen);
  document.body.addEventListener("htmx:afterSettle", markOpen);
})();
