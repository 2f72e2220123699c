// The event panel: E codes an event from the selected sentence; with an evidence field
// chosen, a click on a highlighted span cites it; evidence lights up in the text.
(function () {
  "use strict";
  const doc = document.getElementById("doc");
  if (!doc) return;
  const canHighlight = typeof Highlight === "function" && window.CSS && CSS.highlights;

  // One Range per cited range, from the start of its first word piece to the end of its
  // last: the CSS Custom Highlight API then draws one continuous mark over the words and
  // the spaces between them (no element per piece, no class to toggle, nothing re-laid out).
  function rangeOver(ids) {
    const first = ids.length && doc.querySelector(`[data-t="${ids[0]}"]`);
    const last = ids.length && doc.querySelector(`[data-t="${ids[ids.length - 1]}"]`);
    if (!first || !last) return null;
    const range = new Range();
    range.setStartBefore(first);
    range.setEndAfter(last);
    return range;
  }

  // data-evidence holds piece ids: one list per evidence item in the events list, the
  // item's own list in the open panel.
  function rangesOf(element) {
    const ids = JSON.parse(element.dataset.evidence || "[]");
    const items = Array.isArray(ids[0]) ? ids : [ids];
    return items.map(rangeOver).filter(Boolean);
  }

  function highlight(name, ranges) {
    if (canHighlight) CSS.highlights.set(name, new Highlight(...ranges));
  }

  // The open event's evidence; after every swap, since a swapped paragraph has new pieces.
  function showPanelEvidence() {
    const items = document.querySelectorAll("#event-evidence [data-evidence]");
    highlight("evidence", [...items].flatMap(rangesOf));
  }

  const hoverable = "#events [data-evidence], #event-evidence [data-evidence]";
  document.body.addEventListener("mouseover", (event) => {
    const item = event.target.closest(hoverable);
    if (item) highlight("evidence-hover", rangesOf(item));
  });
  document.body.addEventListener("mouseout", (event) => {
    const item = event.target.closest(hoverable);
    if (item && !item.contains(event.relatedTarget) && canHighlight) CSS.highlights.delete("evidence-hover");
  });
  document.body.addEventListener("htmx:afterSettle", showPanelEvidence);
  // A page opened on an event (the explorer's row links) shows its evidence at once.
  showPanelEvidence();
  // An event just opened may sit below a long list in the side column: bring it into view.
  document.body.addEventListener("htmx:oobAfterSwap", (event) => {
    const panel = event.detail.target;
    if (panel.id === "event-panel" && panel.querySelector("form.event-form")) {
      panel.scrollIntoView({ block: "nearest" });
    }
  });

  // A click on a span while an evidence field is chosen cites it (capture phase, before the
  // span panel would open). htmx sends the form's fields along; the answer swaps only the
  // evidence list, so edits not saved yet stay in the form.
  doc.addEventListener(
    "click",
    (event) => {
      const form = document.querySelector("#event-panel form.event-form");
      const focus = form && form.querySelector("input[name=focus]:checked");
      const mark = event.target.closest("mark[data-spans]");
      if (!form || !focus || !mark || !window.getSelection().isCollapsed) return;
      event.stopPropagation();
      htmx.ajax("POST", form.dataset.evidenceUrl, {
        source: form,
        values: {
          span: mark.dataset.spans.split(" ")[0],
          field: focus.value,
          version: document.getElementById("layer-version").value,
        },
        swap: "none",
      });
    },
    true,
  );

  // Choosing a sub-type chooses its type too (the sub-types are grouped by type).
  document.body.addEventListener("change", (event) => {
    if (!event.target.matches("#event-panel select[name=sub_event_type]")) return;
    const group = event.target.selectedOptions[0].parentElement;
    const type = event.target.form.querySelector("select[name=event_type]");
    if (group.tagName !== "OPTGROUP" || !type) return;
    // The group's label is the type's name as shown (translated): find the type by it.
    const match = [...type.options].find((option) => option.text === group.label);
    if (match) type.value = match.value;
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const button = document.getElementById("event-from-selection");
    // A read-only page keeps the label form hidden: E codes nothing there.
    if (event.code === "KeyE" && button && !button.closest("[hidden]") && document.getElementById("sel-start").value) {
      event.preventDefault();
      htmx.process(button.form);
      button.click();
    }
  });
})();
