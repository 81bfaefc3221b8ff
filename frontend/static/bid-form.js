// Progressive enhancement for the bid form: live word counts, and saving the draft a
// couple of seconds after the bidder stops typing. Without JavaScript the "Save draft"
// button does the same; nothing here is needed to bid.
(function () {
  'use strict';
  var form = document.querySelector('form[data-autosave]');
  if (!form || !window.fetch || !window.URLSearchParams || !window.FormData) return;
  var status = document.getElementById('autosave-status');
  // The attribute, not form.action: the form's buttons are named "action", and a named
  // control shadows the property (it read "[object RadioNodeList]").
  var target = form.getAttribute('action');

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

  function say(text) {
    if (status) status.textContent = text;
  }

  var timer = null;
  var saving = false;
  var again = false;
  function save() {
    if (saving) {
      again = true;
      return;
    }
    saving = true;
    // The answers only: files are uploaded by their buttons, never in the background.
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === 'string' && name !== 'action') body.append(name, value);
    });
    body.set('action', 'save');
    fetch(target, {
      method: 'POST',
      body: body,
      credentials: 'same-origin',
      headers: { 'X-Autosave': '1' },
    }).then(function (response) {
      var time = new Date().toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
      if (response.ok) {
        say('Draft saved at ' + time + '.');
      } else if (response.status === 409) {
        say('This bid can no longer change: the deadline has passed. Reload the page.');
      } else if (response.status === 422) {
        say('Draft saved at ' + time + ', apart from a price that is not in pounds and pence.');
      } else {
        say('Your draft could not be saved automatically. Use "Save draft".');
      }
    }).catch(function () {
      say('Your draft could not be saved automatically. Use "Save draft".');
    }).then(function () {
      saving = false;
      if (again) {
        again = false;
        save();
      }
    });
  }
  form.addEventListener('input', function (event) {
    if (event.target && event.target.type === 'file') return;
    clearTimeout(timer);
    timer = setTimeout(save, 2000);
  });
})();
