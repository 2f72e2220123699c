// Name pickers of the search filters: htmx fills each picker's option list as one types;
// picking an option puts its id in the hidden field (the query string keeps ids) and its
// name in the text field. Typing again forgets the picked id.
(function () {
  "use strict";

  function pickerOf(element) {
    return element.closest("[data-picker]");
  }

  function close(picker) {
    picker.querySelector(".picker-options").replaceChildren();
    picker.querySelector("input[role=combobox]").setAttribute("aria-expanded", "false");
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest(".picker-options button[data-id]");
    if (!button) return;
    const picker = pickerOf(button);
    picker.querySelector("[data-picker-id]").value = button.dataset.id;
    const text = picker.querySelector("input[role=combobox]");
    text.value = button.dataset.name;
    close(picker);
    text.focus();
  });

  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-picker] input[role=combobox]")) {
      pickerOf(event.target).querySelector("[data-picker-id]").value = "";
    }
  });

  document.addEventListener("keydown", function (event) {
    const picker = event.target.closest && pickerOf(event.target);
    if (!picker) return;
    if (event.key === "Escape") {
      close(picker);
    } else if (event.key === "ArrowDown" && event.target.matches("input[role=combobox]")) {
      const first = picker.querySelector(".picker-options button");
      if (first) {
        event.preventDefault();
        first.focus();
      }
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const list = event.detail.target;
    if (list.classList && list.classList.contains("picker-options")) {
      const open = list.children.length > 0;
      pickerOf(list).querySelector("input[role=combobox]").setAttribute("aria-expanded", String(open));
    }
  });
})();
