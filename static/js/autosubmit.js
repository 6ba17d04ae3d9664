// A <select data-autosubmit> sends its form as soon as a choice is made
// (the header's creator switcher, the agency calendar's creator filter).
// Without JavaScript the form's own button does it.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.requestSubmit();
  }
});
