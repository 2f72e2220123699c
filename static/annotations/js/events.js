// The event panel: E codes an event from the selected sentence; with an evidence field
// chosen, a click on a highlighted span cites it; evidence lights up in the text.
(function () {
  "use strict";
  const doc = document.getElementById("doc");
  if (!doc) return;

  function light(list, on, cls) {
    for (const id of JSON.parse(list || "[]")) {
      const piece = doc.querySelector(`[data-t="${id}"]`);
      if (piece) piece.classList.toggle(cls, on);
    }
  }

  function showPanelEvidence() {
    doc.querySelectorAll(".ev-mark").forEach((el) => el.classList.remove("ev-mark"));
    document.querySelectorAll("#event-panel [data-evidence]").forEach((li) => light(li.dataset.evidence, true, "ev-mark"));
  }

  document.body.addEventListener("mouseover", (event) => {
    const item = event.target.closest("#events [data-evidence]");
    if (item) light(item.dataset.evidence, true, "evidence-hover");
  });
  document.body.addEventListener("mouseout", (event) => {
    const item = event.target.closest("#events [data-evidence]");
    if (item) light(item.dataset.evidence, false, "evidence-hover");
  });
  document.body.addEventListener("htmx:afterSettle", showPanelEvidence);

  // A click on a span while an evidence field is chosen cites the span (capture phase,
  // before the span panel would open).
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
    if (group.tagName === "OPTGROUP" && type) type.value = group.label;
  });

  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select") || event.ctrlKey || event.metaKey || event.altKey) return;
    const button = document.getElementById("event-from-selection");
    if (event.code === "KeyE" && button && document.getElementById("sel-start").value) {
      event.preventDefault();
      htmx.process(button.form);
      button.click();
    }
  });
})();
