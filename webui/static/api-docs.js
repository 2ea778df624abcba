// Starts Swagger UI on /api/docs from a file of ours: the CSP allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
    // The validator badge would load an image from swagger.io, outside the CSP.
    validatorUrl: null,
  });
})();
