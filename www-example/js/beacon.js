/*
 * TorPlus attention beacon: tells this site how long each page was really
 * visible, so the site's income can be shared by attention. No cookies, no
 * third parties: one random id per tab (sessionStorage), the page's path,
 * and milliseconds of visible time, POSTed to this same site.
 *
 * - On load it sends a report of 0 ms: the page view, which starts the
 *   session's clock on the server (a session may never report more visible
 *   time than wall time since its previous report).
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
  var key = 'torplus-attention-session';

  function newId() {
    var b = new Uint8Array(24);
    crypto.getRandomValues(b);
    return btoa(String.fromCharCode.apply(null, b))
      .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  var session;
  try {
    session = sessionStorage.getItem(key);
    if (!session) {
      session = newId();
      sessionStorage.setItem(key, session);
    }
  } catch (e) {
    session = newId(); // storage disabled: one session per page view
  }

  function send(ms) {
    var body = new URLSearchParams({
      session: session,
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
