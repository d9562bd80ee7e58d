// Progressive enhancement only: every page works without this file.
// NHS.UK frontend starts only where <body> says it is supported. Its template does that
// with an inline script, which the CSP forbids; a module script runs only in the browsers
// the frontend supports, so saying it here is the same test.
import { initAll } from './nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('nhsuk-frontend-supported')
initAll()

// The radios component marks a radio that reveals more questions with aria-expanded, which
// ARIA does not allow on a radio (axe-core: aria-allowed-attr). aria-controls stays.
const notOnRadios = () => {
  document.querySelectorAll('input[type="radio"][aria-expanded]').forEach((el) => el.removeAttribute('aria-expanded'))
}
notOnRadios()
new MutationObserver(notOnRadios).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['aria-expanded'] })
