// The API documentation page: Swagger UI (npm: swagger-ui-dist) over the served OpenAPI document.
(function () {
  var root = document.getElementById("api");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    persistAuthorization: false,
  });
})();
