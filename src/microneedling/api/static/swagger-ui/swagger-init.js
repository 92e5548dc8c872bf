// Starts Swagger UI on the documentation page (a file, not an inline script, so the page's
// Content-Security-Policy can forbid inline scripts). Written for microneedling; not part of
// swagger-ui-dist. The page's #swagger-ui element carries the addresses as data attributes.
"use strict";
(function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    oauth2RedirectUrl: window.location.origin + element.dataset.oauth2RedirectUrl,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
