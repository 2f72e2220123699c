// A <select data-autosubmit> sends its form when it changes. A data attribute rather than
// an inline onchange: the Content-Security-Policy forbids inline event handlers.
document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.requestSubmit();
});
