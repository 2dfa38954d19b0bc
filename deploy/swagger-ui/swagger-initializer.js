// Swagger UI of the ffrtmp REST API: replaces swagger-ui-dist's own
// initializer (which loads the Petstore example) so that the UI shows
// /v1/openapi.json, the document scripts/openapi generates.
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
  });
};
