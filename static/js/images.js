// The import form's progress bar follows the upload (htmx reports its xhr progress).
document.addEventListener("htmx:xhr:progress", (event) => {
  if (event.target.id !== "import-form" || !event.detail.lengthComputable) return;
  const bar = document.getElementById("import-progress");
  bar.classList.remove("hidden");
  bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  bar.dataset.percent = bar.value;
});
