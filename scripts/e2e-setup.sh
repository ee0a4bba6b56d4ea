# Sourced by test-e2e.sh and demo.sh: makes sure Chromium (for tests), node
# and web/node_modules are there.
need_chromium=${NEED_CHROMIUM:-1}
if [ "$need_chromium" = 1 ] && [ -z "${MLSIDB_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing chromium from Debian packages..."
		timeout 900 apt-get update -qq
		DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends chromium >/dev/null
	else
		echo "chromium is missing: install it (apt-get install chromium) or set MLSIDB_CHROMIUM" >&2
		exit 1
	fi
fi
command -v node >/dev/null || { echo "node (>= 20) is needed" >&2; exit 1; }
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
	(cd web && timeout 600 npm ci --no-audit --no-fund --loglevel=error)
fi
