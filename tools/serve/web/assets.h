/* assets: the dashboard's files (tools/serve/web/), embedded into caviar at build
 * time by tools/serve/web/embed.py, so `caviar serve` reads nothing from disk and
 * downloads nothing at run time. */
#ifndef CAVIAR_ASSETS_H
#define CAVIAR_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;          /* as requested: "/app.js", "/vendor/uPlot.iife.min.js" */
	const char *type;          /* its Content-Type */
	const unsigned char *data; /* len bytes, static */
	size_t len;
};

/* The asset served at path, or NULL. */
const struct web_asset *web_asset_find(const char *path);

#endif
