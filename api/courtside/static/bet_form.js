// Courtside: the payout of the stake being typed, as you type it (progressive enhancement).
// Without this script the form works the same: the hint shows the payout of 100.00, or of
// the stake sent when a refused form comes back. The arithmetic is the server's
// (courtside/odds.py: win_profit_cents, rounded down to the cent); reading the stake follows
// courtside/web/stakes.py. Whatever the server decides on submit is what counts.
(function () {
  "use strict";

  var NUMBER = /^\+?(\d*)(?:\.(\d*))?$/;

  function normalised(text) {
    text = text.replace(/\s+/g, "");
    if (text.indexOf(",") < 0) return text;
    if (/^\+?\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) return text.replace(/,/g, "");
    if (/^\+?\d*,\d{1,2}$/.test(text)) return text.replace(",", ".");
    return null;
  }

  // The stake in cents, or null when it is not (yet) a usable one.
  function stakeCents(raw) {
    var text = normalised(raw);
    if (!text) return null;
    var match = NUMBER.exec(text);
    if (!match || !(match[1] || match[2])) return null;
    var whole = match[1] || "0";
    var frac = match[2] || "";
    if (frac.length > 2 || whole.replace(/^0+/, "").length > 9) return null;
    var cents = Number(whole) * 100 + Number((frac + "00").slice(0, 2));
    return cents > 0 ? cents : null;
  }

  function profitCents(cents, odds) {
    return odds > 0 ? Math.floor((cents * odds) / 100) : Math.floor((cents * 100) / -odds);
  }

  function units(cents) {
    var whole = Math.floor(cents / 100);
    var rest = String(cents % 100);
    return whole.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + (rest.length < 2 ? "0" + rest : rest);
  }

  function enhance(form) {
    var input = form.querySelector("input[name=stake]");
    var hint = form.querySelector("[data-payout-stake]");
    if (!input || !hint) return;
    var fallback = hint.textContent;
    var sides = form.querySelectorAll(".payout-side");
    var original = [];
    sides.forEach(function (side) {
      original.push([
        side.querySelector("[data-payout-profit]").textContent,
        side.querySelector("[data-payout-return]").textContent,
      ]);
    });

    function update() {
      var cents = stakeCents(input.value);
      hint.textContent = cents === null ? fallback : units(cents);
      sides.forEach(function (side, index) {
        var odds = Number(side.getAttribute("data-odds"));
        var profit = side.querySelector("[data-payout-profit]");
        var total = side.querySelector("[data-payout-return]");
        if (cents === null || !odds) {
          profit.textContent = original[index][0];
          total.textContent = original[index][1];
          return;
        }
        var win = profitCents(cents, odds);
        profit.textContent = units(win);
        total.textContent = units(win + cents);
      });
    }

    input.addEventListener("input", update);
    if (input.value) update();
  }

  document.querySelectorAll("form.bet-form").forEach(enhance);
})();
