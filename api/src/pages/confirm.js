// Asks before sending a form whose `data-confirm` says what it does (Disconnect, Resync):
// both start something that cannot be taken back from the page.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) event.preventDefault();
});
