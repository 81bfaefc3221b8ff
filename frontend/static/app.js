// Starts GOV.UK Frontend's own scripts (the Menu button of the service navigation, the
// conditional reveals of radios, error summaries that take focus, buttons that resist a
// double click). Every page works without it: this only adds to what the HTML does.
import { initAll } from './vendor/govuk-frontend/govuk-frontend.min.js';

document.body.classList.add('js-enabled', 'govuk-frontend-supported');
initAll();
