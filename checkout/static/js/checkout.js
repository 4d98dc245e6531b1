/* Shopper pages, progressive enhancement only: every page works without this file.
   1. The picker pre-selects the operator of the number being typed.
   2. Forms show they are busy and cannot be sent twice.
   3. The wait page follows the payment's status and moves on by itself. */
(function () {
  "use strict";
  var doc = document;

  function byId(id) { return doc.getElementById(id); }

  function operatorPicker(phone) {
    var ops = JSON.parse(phone.getAttribute("data-ops") || "{}");
    var cc = phone.getAttribute("data-cc") || "";
    var table = [];
    Object.keys(ops).forEach(function (code) {
      ops[code].split(" ").forEach(function (p) { table.push([p, code]); });
    });
    table.sort(function (a, b) { return b[0].length - a[0].length; });
    var mapped = {};
    table.forEach(function (row) { mapped[row[1]] = true; });

    function national(value) {
      var intl = /^\s*(\+|00)/.test(value);
      var d = value.replace(/\D/g, "");
      if (/^\s*00/.test(value)) { d = d.slice(2); }
      if (cc && d.indexOf(cc) === 0 && (intl || d.length > 10)) { d = d.slice(cc.length); }
      // Benin's former 8-digit numbers are today's with "01" in front.
      if (cc === "229" && d.length >= 2 && d.charAt(0) !== "0") { d = "01" + d; }
      return d;
    }

    function matchCode(d) {
      for (var i = 0; i < table.length; i++) {
        var p = table[i][0];
        if (d.indexOf(p) === 0 || d.replace(/^0/, "").indexOf(p) === 0) { return table[i][1]; }
      }
      return null;
    }

    phone.addEventListener("input", function () {
      var code = matchCode(national(phone.value));
      if (!code) { return; }
      var current = doc.querySelector("input[name=method]:checked");
      // A method chosen by hand that numbers do not decide (Wave, cash) is left alone.
      if (current && !mapped[current.value]) { return; }
      var radio = doc.querySelector("input[name=method][value='" + code + "']");
      if (radio && !radio.checked) {
        radio.checked = true;
        var details = radio.closest ? radio.closest("details") : null;
        if (details) { details.open = true; }
      }
    });
  }

  function busyForms() {
    Array.prototype.forEach.call(doc.querySelectorAll("form[method=post]"), function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
        form.setAttribute("data-sent", "1");
        var button = form.querySelector("button[type=submit]");
        var busy = form.getAttribute("data-busy");
        if (button) {
          setTimeout(function () { button.disabled = true; }, 0);
          if (busy) { button.textContent = busy; }
        }
      });
    });
  }

  function follow(live) {
    var url = live.getAttribute("data-status-url");
    var state = live.getAttribute("data-state");
    var text = byId("status-text");
    var started = Date.now();

    function later() {
      var age = Date.now() - started;
      setTimeout(poll, age < 120000 ? 2500 : (age < 600000 ? 5000 : 15000));
    }

    function poll() {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url, true);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 10000;
      xhr.onload = function () {
        var s = null;
        if (xhr.status === 200) {
          try { s = JSON.parse(xhr.responseText); } catch (e) { s = null; }
        }
        if (s && s.state !== state && s.next) { window.location.replace(s.next); return; }
        if (s && s.message && text && text.textContent !== s.message) { text.textContent = s.message; }
        later();
      };
      xhr.onerror = later;
      xhr.ontimeout = later;
      xhr.send();
    }
    later();
  }

  var phone = byId("phone");
  if (phone && phone.getAttribute("data-ops")) { operatorPicker(phone); }
  busyForms();
  var live = byId("live-status");
  if (live) { follow(live); }
}());
