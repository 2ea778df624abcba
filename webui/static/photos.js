// « Ajouter un papier » with JavaScript: the pages chosen (photos taken one after the other, or
// picked together) are shown in order, each with buttons to move it earlier or later or to take
// it out; the form then sends them in that order (the file input's list is rebuilt each time).
// Without JavaScript the same input sends the files picked together, in the order picked.
(function () {
  "use strict";
  var input = document.getElementById("file");
  var box = document.getElementById("photos");
  var list = document.getElementById("photo-list");
  var status = document.getElementById("photos-status");
  if (!input || !box || !list || !status || typeof DataTransfer === "undefined") {
    return;
  }
  var words = box.dataset;
  var chosen = [];
  var previews = [];

  function sync() {
    var transfer = new DataTransfer();
    chosen.forEach(function (file) {
      transfer.items.add(file);
    });
    input.files = transfer.files;
  }

  function button(icon, text, disabled, action) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = "button button-secondary";
    var pictogram = document.createElement("span");
    pictogram.setAttribute("aria-hidden", "true");
    pictogram.textContent = icon;
    element.appendChild(pictogram);
    element.appendChild(document.createTextNode(" " + text));
    element.disabled = disabled;
    element.addEventListener("click", action);
    return element;
  }

  function move(from, to) {
    var file = chosen.splice(from, 1)[0];
    chosen.splice(to, 0, file);
    sync();
    render();
  }

  function render() {
    previews.forEach(URL.revokeObjectURL);
    previews = [];
    list.textContent = "";
    box.hidden = chosen.length === 0;
    status.textContent =
      chosen.length > 1 ? words.status.replace("{count}", String(chosen.length)) : "";
    chosen.forEach(function (file, index) {
      var item = document.createElement("li");
      item.className = "photo";
      var caption = document.createElement("p");
      caption.className = "photo-caption";
      caption.id = "photo-" + index;
      caption.textContent = words.page.replace("{number}", String(index + 1));
      item.appendChild(caption);
      if (file.type.indexOf("image/") === 0) {
        var url = URL.createObjectURL(file);
        previews.push(url);
        var picture = document.createElement("img");
        picture.src = url;
        picture.alt = "";
        picture.className = "photo-preview";
        item.appendChild(picture);
      } else {
        var name = document.createElement("p");
        name.textContent = file.name;
        item.appendChild(name);
      }
      var actions = document.createElement("div");
      actions.className = "photo-actions";
      [
        button("⬆", words.earlier, index === 0, function () {
          move(index, index - 1);
        }),
        button("⬇", words.later, index === chosen.length - 1, function () {
          move(index, index + 1);
        }),
        button("✖", words.remove, false, function () {
          chosen.splice(index, 1);
          sync();
          render();
        }),
      ].forEach(function (element) {
        element.setAttribute("aria-describedby", caption.id);
        actions.appendChild(element);
      });
      item.appendChild(actions);
      list.appendChild(item);
    });
    if (chosen.length > 0) {
      var more = button("📷", words.add, false, function () {
        input.click();
      });
      more.classList.add("photo-more");
      list.appendChild(document.createElement("li")).appendChild(more);
    }
  }

  // A phone's camera gives one photo at a time: each new choice adds pages to the paper.
  input.addEventListener("change", function () {
    chosen = chosen.concat(Array.prototype.slice.call(input.files));
    sync();
    render();
  });
})();
