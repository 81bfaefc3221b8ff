// Progressive enhancement for the bid form: live word counts, and saving the draft a
// couple of seconds after the bidder stops typing. Without JavaScript the "Save draft"
// button does the same; nothing here is needed to bid.
(function () {
  'use strict';
  var form = document.querySelector('form[data-autosave]');
  if (!form || !window.fetch || !window.URLSearchParams) return;
  var status = document.getElementById('autosave-status');

  function countWords(text) {
    var t = text.trim();
    return t ? t.split(/\s+/).length : 0;
  }

  form.querySelectorAll('textarea').forEach(function (area) {
    var count = document.getElementById(area.name + '-count');
    if (!count) return;
    var limit = parseInt(area.getAttribute('data-word-limit') || '0', 10);
    area.addEventListener('input', function () {
      var n = countWords(area.value);
      count.textContent = n + ' words' + (limit ? ' of ' + limit : '');
      count.classList.toggle('app-word-count--over', limit > 0 && n > limit);
    });
  });

  var timer = null;
  function save() {
    var body = new URLSearchParams(new FormData(form));
    body.set('action', 'save');
    fetch(form.action, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'X-Autosave': '1' },
    }).then(function (response) {
      if (!status) return;
      var time = new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
      status.textContent = response.ok
        ? 'Draft saved at ' + time + '.'
        : 'Your draft could not be saved automatically. Use "Save draft".';
    }).catch(function () {
      if (status) status.textContent = 'Your draft could not be saved automatically. Use "Save draft".';
    });
  }
  form.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  });
})();
