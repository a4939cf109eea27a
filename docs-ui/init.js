// Starts Swagger UI on /docs against this API's own document. Served as a static asset
// (with swagger-ui-dist's files, copied here by scripts/setup.sh), so /docs needs no CDN.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
});
