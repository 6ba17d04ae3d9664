// A <select data-autosubmit> sends its form as soon as a choice is made
// (the header's creator switcher, the agency calendar's creator filter).
// Without JavaScript the form's own button does it; with it, the button
// goes (.autosubmits .js-hide in app.css).
for (const select of document.querySelectorAll("select[data-autosubmit]")) {
  if (select.form) {
    select.form.classList.add("autosubmits");
  }
}
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-autosubmit]");
  if (select && select.form) {
    select.form.requestSubmit();
  }
});
