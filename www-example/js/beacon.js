/*
 * TorPlus attention beacon: tells this site how long each page was really
 * visible, so each payment of this visitor can be shared among the pages it
 * read. No id of its own, no third parties: the page's path and milliseconds
 * of visible time, POSTed to this same site. The server knows the visitor as
 * its meter does (its TorPlus-Session cookie or its Tor circuit), so the
 * beacon cannot make up sessions, and neither can anyone else.
 *
 * - On load it sends a report of 0 ms: the page view (the server never
 *   grants a visitor more visible time than wall time since it was first
 *   served).
 * - It counts time only while document.visibilityState is "visible" (Page
 *   Visibility API), and sends what it counted when the page is hidden
 *   (tab switch, minimise, navigation away, close) with navigator.sendBeacon.
 *
 * Use: <script src="/js/beacon.js" defer></script>. A different endpoint:
 * data-endpoint="/path" on the script tag.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var endpoint = (script && script.dataset.endpoint) || '/.well-known/torplus/attention';
  function send(ms) {
    var body = new URLSearchParams({
      path: location.pathname,
      visible_ms: String(Math.floor(ms))
    });
    if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) {
      return;
    }
    if (window.fetch) {
      fetch(endpoint, { method: 'POST', body: body, keepalive: true, credentials: 'same-origin' })
        .catch(function () {});
    }
  }

  var visibleSince = document.visibilityState === 'visible' ? performance.now() : null;
  var counted = 0;

  function flush() {
    if (visibleSince !== null) {
      counted += performance.now() - visibleSince;
      visibleSince = null;
    }
    if (counted >= 1) {
      send(counted);
      counted = 0;
    }
  }

  function resume() {
    if (document.visibilityState === 'visible' && visibleSince === null) {
      visibleSince = performance.now();
    }
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      flush();
    } else {
      resume();
    }
  });
  window.addEventListener('pagehide', flush);
  window.addEventListener('pageshow', function (ev) {
    if (ev.persisted) { // back from the back/forward cache: a new view
      send(0);
      resume();
    }
  });
  send(0);
})();
