"""Server-rendered HTML pages (Jinja2, autoescaped). JSON lives in `courtside.routers`."""
