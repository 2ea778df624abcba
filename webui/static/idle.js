// Idle sign-out with JavaScript: a warning one minute before, « Rester connecté », then the
// coffre closes itself (the « Quitter » form), so a paper never stays on a shared screen.
// Without JavaScript, /inactivite.css covers the page at the same moment instead.
(function () {
  "use strict";
  var root = document.documentElement;
  var idle = Number(document.body.getAttribute("data-idle-seconds"));
  var quit = document.querySelector("form.quit");
  var warning = document.getElementById("idle-warning");
  var stay = document.getElementById("idle-stay");
  if (!idle || !quit || !warning || !stay) {
    return;
  }
  root.classList.remove("idle-curtain-on");
  var timers = [];

  function leave() {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "inactif";
    field.value = "1";
    quit.appendChild(field);
    quit.submit();
  }

  function arm() {
    timers.forEach(clearTimeout);
    warning.hidden = true;
    timers = [
      setTimeout(function () {
        warning.hidden = false;
        stay.focus();
      }, Math.max(0, idle - 60) * 1000),
      // A few seconds before the server's limit, so the sign-out still finds the session.
      setTimeout(leave, Math.max(0, idle - 5) * 1000),
    ];
  }

  stay.addEventListener("click", function () {
    var data = new FormData();
    data.append("csrf", quit.elements.csrf.value);
    fetch("/rester-connecte", { method: "POST", body: data, credentials: "same-origin" }).then(
      function (answer) {
        if (answer.ok) {
          arm();
        } else {
          leave();
        }
      },
      leave
    );
  });
  arm();
})();
