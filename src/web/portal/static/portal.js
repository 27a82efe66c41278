// The customer portal's only script (no inline script: CSP). Two jobs, each optional:
// - the upload form: a file dropped on the drop zone goes into the file input;
// - a batch page: polls its JSON status and updates the progress, then reloads once it is
//   completed (to show the downloads). Without JavaScript a <noscript> refresh does the same.
'use strict';

(function dropZone() {
  var zone = document.querySelector('[data-drop-zone]');
  if (!zone) return;
  var input = zone.querySelector('input[type="file"]');
  ['dragenter', 'dragover'].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add('dragging');
    });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    zone.addEventListener(type, function () {
      zone.classList.remove('dragging');
    });
  });
  zone.addEventListener('drop', function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length > 0) input.files = event.dataTransfer.files;
  });
})();

(function progress() {
  var section = document.getElementById('batch');
  if (!section || section.getAttribute('data-completed') === '1') return;
  var url = section.getAttribute('data-status-url');
  var bar = document.getElementById('batch-progress');
  var percent = document.getElementById('batch-percent');
  var delay = 1000;
  function poll() {
    fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('status ' + response.status);
        return response.json();
      })
      .then(function (status) {
        bar.value = status.progress;
        bar.textContent = status.progress + '%';
        percent.textContent = status.progress + '%';
        if (status.completed) {
          window.location.reload();
          return;
        }
        delay = Math.min(delay * 1.5, 10000);
        setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        setTimeout(poll, delay);
      });
  }
  setTimeout(poll, delay);
})();
