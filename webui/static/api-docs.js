// Starts Swagger UI on /api/docs from a file of ours: the CSP allows no inline script.
//
// The Swagger UI of the swagger_ui_bundle package (4.x) reads OpenAPI 3.0 only, and
// /openapi.json is 3.1. For this page alone, the two things 3.1 says differently in coffre's
// document are said the 3.0 way: the version, and « X or null » (an anyOf with a null type,
// or a list of types with "null") as a nullable X. /openapi.json itself is left as it is.
(function () {
  "use strict";

  function isNull(schema) {
    return schema !== null && typeof schema === "object" && schema.type === "null";
  }

  function nullable(schema) {
    var out = {};
    var options = schema.anyOf;
    var kept = options.filter(function (option) {
      return !isNull(option);
    });
    Object.keys(schema).forEach(function (key) {
      if (key !== "anyOf") {
        out[key] = schema[key];
      }
    });
    out.nullable = true;
    if (kept.length > 1) {
      out.anyOf = kept;
    } else if (kept[0].$ref) {
      // In 3.0 a $ref ignores what stands beside it: the reference goes inside an allOf.
      out.allOf = [kept[0]];
    } else {
      Object.keys(kept[0]).forEach(function (key) {
        out[key] = kept[0][key];
      });
    }
    return out;
  }

  function as30(node) {
    if (Array.isArray(node)) {
      return node.map(as30);
    }
    if (node === null || typeof node !== "object") {
      return node;
    }
    var out = {};
    Object.keys(node).forEach(function (key) {
      out[key] = as30(node[key]);
    });
    if (Array.isArray(out.anyOf) && out.anyOf.some(isNull)) {
      out = nullable(out);
    }
    if (Array.isArray(out.type) && out.type.indexOf("null") !== -1) {
      var types = out.type.filter(function (type) {
        return type !== "null";
      });
      out.type = types.length === 1 ? types[0] : types;
      out.nullable = true;
    }
    return out;
  }

  var root = document.getElementById("swagger-ui");
  fetch(root.getAttribute("data-openapi-url"), { credentials: "same-origin" })
    .then(function (answer) {
      return answer.json();
    })
    .then(function (document31) {
      var spec = as30(document31);
      spec.openapi = "3.0.3";
      window.ui = window.SwaggerUIBundle({
        spec: spec,
        domNode: root,
        deepLinking: true,
        layout: "BaseLayout",
        presets: [window.SwaggerUIBundle.presets.apis],
        // The validator badge would load an image from swagger.io, outside the CSP.
        validatorUrl: null,
      });
    });
})();
