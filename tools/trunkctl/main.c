/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file main.c  trunkctl: the operators' command line over the REST API.
 *
 * Global options may come anywhere on the line. The server and the token
 * come from --server/--token, else $TRUNKCTL_SERVER/$TRUNKCTL_TOKEN, else
 * the config file (--config FILE, default ~/.config/trunkctl/config).
 * docs/TRUNKCTL.md is the user's guide; exit codes are in trunkctl.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <curl/curl.h>
#include "trunkctl.h"

static const char main_help[] =
	"Usage: trunkctl [global options] COMMAND [SUBCOMMAND] [options]\n"
	"The operators' command line for Trunkline, over its REST API.\n"
	"\n"
	"Provisioning (each: list, get, add, update, delete):\n"
	"  customers    customers and their limits, credit and tariff\n"
	"  trunks       customers' SIP trunks (source networks, credentials)\n"
	"  trunk-uris   where a trunk's inbound calls are delivered\n"
	"  carriers     upstream carriers\n"
	"  gateways     carriers' SIP gateways\n"
	"  tariffs      customer price lists\n"
	"  numbers      DIDs (also: add-range FROM TO)\n"
	"  rates        carrier or tariff rates (also: import FILE.csv)\n"
	"Operations:\n"
	"  route explain --customer C NUMBER   how a call would be routed, and why\n"
	"  calls        live calls: list (--watch), show ID, hangup ID\n"
	"  stats        ASR, ACD, PDD and codes per carrier and customer\n"
	"  cdr          call detail records: filters, --csv export\n"
	"  health       is the daemon up (no token needed)\n"
	"  completion bash   a bash completion script\n"
	"\n"
	"Global options:\n"
	"  --server URL     API address, like http://127.0.0.1:8080\n"
	"                   (else $TRUNKCTL_SERVER, else server= in the config file)\n"
	"  --token TOKEN    bearer token (else $TRUNKCTL_TOKEN, else token= in the file)\n"
	"  --config FILE    config file (default ~/.config/trunkctl/config)\n"
	"  --cacert FILE    CA certificates (PEM) that sign an https server's certificate\n"
	"                   (else $TRUNKCTL_CACERT, else the system's)\n"
	"  --json           print the server's JSON instead of tables\n"
	"  -q, --quiet      print only ids of what is added; no progress bar\n"
	"  -h, --help       this help; 'trunkctl COMMAND --help' for a command\n"
	"\n"
	"Exit status: 0 done, 1 server or network error, 2 usage error, 3 not found\n"
	"or not supported, 4 refused values (the fields are named), 5 authentication.\n";

struct global {
	const char *server, *token, *config, *cacert;
	bool json, quiet, help;
};

/* Take the global options out of argv wherever they are (before "--"). */
static int take_globals(struct ctl *c, struct global *g, int *argc, char **argv)
{
	int i, o = 0;

	for (i = 0; i < *argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		const char *names[] = { "--server", "--token", "--config", "--cacert" };
		const char **dsts[] = { &g->server, &g->token, &g->config, &g->cacert };

		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[o++] = argv[i++];
			break;
		}
		if (!strcmp(a, "--json")) {
			g->json = true;
			continue;
		}
		if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			g->quiet = true;
			continue;
		}
		for (size_t k = 0; k < 4; k++) {
			size_t l = strlen(names[k]);

			if (!strncmp(a, names[k], l) && (a[l] == '=' || !a[l])) {
				dst = dsts[k];
				if (a[l] == '=') {
					*dst = a + l + 1;
				}
				else if (i + 1 < *argc) {
					*dst = argv[++i];
				}
				else {
					return fail(c, EX_USAGE, "option %s needs a value", a);
				}
				break;
			}
		}
		if (dst)
			continue;
		argv[o++] = argv[i];
	}
	*argc = o;
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

/* INI: server= and token= (sections and other keys ignored, # ; comments). */
static int read_config(struct ctl *c, const char *file, bool must, char **server, char **token)
{
	char line[1024];
	struct stat st;
	unsigned n = 0;
	FILE *f = fopen(file, "r");

	if (!f) {
		if (!must && errno == ENOENT)
			return 0;
		return fail(c, EX_USAGE, "cannot read the config file %s: %s", file, strerror(errno));
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line), *eq, *k, *v;

		n++;
		if (!*s || *s == '#' || *s == ';' || *s == '[')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			fclose(f);
			return fail(c, EX_USAGE, "%s:%u: expected key = value", file, n);
		}
		*eq = 0;
		k = trim(s);
		v = trim(eq + 1);
		if (!strcmp(k, "server") && !*server)
			*server = strdup(v);
		else if (!strcmp(k, "token") && !*token)
			*token = strdup(v);
	}
	/* The token is a password: say so when others may read it. */
	if (*token && !fstat(fileno(f), &st) && (st.st_mode & 077))
		fprintf(stderr, "trunkctl: warning: %s holds a token and others may read it "
			"(chmod 600 %s)\n", file, file);
	fclose(f);
	return 0;
}

static int setup(struct ctl *c, struct global *g, bool need_token, char **cs, char **ct)
{
	const char *file = g->config ? g->config : getenv("TRUNKCTL_CONFIG");
	char def[1024];
	size_t l;
	int err;

	c->server = g->server ? g->server : getenv("TRUNKCTL_SERVER");
	c->token = g->token ? g->token : getenv("TRUNKCTL_TOKEN");
	c->cacert = g->cacert ? g->cacert : getenv("TRUNKCTL_CACERT");
	if (c->cacert && !*c->cacert)
		c->cacert = NULL;
	if (c->server && !*c->server)
		c->server = NULL;
	if (c->token && !*c->token)
		c->token = NULL;
	if (!file) {
		const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

		if (xdg && *xdg)
			snprintf(def, sizeof(def), "%s/trunkctl/config", xdg);
		else if (home && *home)
			snprintf(def, sizeof(def), "%s/.config/trunkctl/config", home);
		else
			def[0] = 0;
		file = def[0] ? def : NULL;
	}
	if (file && (!c->server || !c->token)) {
		if ((err = read_config(c, file, g->config != NULL, cs, ct)))
			return err;
		if (!c->server)
			c->server = *cs;
		if (!c->token)
			c->token = *ct;
	}
	if (!c->server || !*c->server)
		return fail(c, EX_USAGE, "no server: give --server URL, set TRUNKCTL_SERVER, or "
			    "put server = URL in %s", file ? file : "~/.config/trunkctl/config");
	if (need_token && (!c->token || !*c->token))
		return fail(c, EX_USAGE, "no API token: give --token, set TRUNKCTL_TOKEN, or put "
			    "token = TOKEN in %s (make one with 'trunkline api token add NAME')",
			    file ? file : "~/.config/trunkctl/config");
	/* A bare host:port means http; no trailing slash. */
	l = strlen(c->server);
	c->server_buf = malloc(l + 8);
	if (!c->server_buf)
		return fail(c, EX_SERVER, "out of memory");
	snprintf(c->server_buf, l + 8, "%s%s", strstr(c->server, "://") ? "" : "http://",
		 c->server);
	l = strlen(c->server_buf);
	while (l > 0 && c->server_buf[l - 1] == '/')
		c->server_buf[--l] = 0;
	c->server = c->server_buf;
	return 0;
}

static const char *const commands[] = {
	"customers", "trunks", "trunk-uris", "carriers", "gateways", "tariffs", "numbers",
	"rates", "route", "calls", "stats", "cdr", "health", "completion", "help" };

int cmd_completion(struct ctl *c, int argc, char **argv)
{
	if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		printf("Usage: trunkctl completion bash\n"
		       "Prints a bash completion script: source it, or save it as\n"
		       "/usr/share/bash-completion/completions/trunkctl.\n");
		return 0;
	}
	if (argc != 1 || strcmp(argv[0], "bash"))
		return fail(c, EX_USAGE, "expected 'bash' (the only shell supported)");
	printf("# bash completion for trunkctl (made by 'trunkctl completion bash')\n"
	       "_trunkctl()\n{\n"
	       "  local cur prev words cword\n"
	       "  _init_completion 2>/dev/null || {\n"
	       "    cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	       "    words=(\"${COMP_WORDS[@]}\"); cword=$COMP_CWORD; }\n"
	       "  local global=\"--server --token --config --cacert --json --quiet --help\"\n"
	       "  local cmd=\"\" sub=\"\" i\n"
	       "  for ((i = 1; i < cword; i++)); do\n"
	       "    case ${words[i]} in\n"
	       "      --server|--token|--config|--cacert) ((i++)) ;;\n"
	       "      -*) ;;\n"
	       "      *) if [[ -z $cmd ]]; then cmd=${words[i]}; elif [[ -z $sub ]]; then "
	       "sub=${words[i]}; fi ;;\n"
	       "    esac\n"
	       "  done\n"
	       "  case $prev in\n"
	       "    --config|--cacert) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	       "    --server|--token|--limit|--cursor|--from|--to) return ;;\n"
	       "  esac\n"
	       "  if [[ -z $cmd ]]; then\n"
	       "    COMPREPLY=($(compgen -W \"");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("%s%s", i ? " " : "", commands[i]);
	printf(" $global\" -- \"$cur\")); return\n"
	       "  fi\n"
	       "  local subs=\"\" opts=\"\"\n"
	       "  case $cmd in\n");
	resource_words(stdout);
	printf("    route) subs=\"explain\"; opts=\"--customer --at --help\" ;;\n"
	       "    calls) subs=\"list show hangup\"; opts=\"--customer --carrier --direction "
	       "--state --number --limit --all --watch --help\" ;;\n"
	       "    stats) opts=\"--window --carrier --customer --help\" ;;\n"
	       "    cdr) subs=\"list get\"; opts=\"--from --to --customer --carrier --number "
	       "--sip-code --cause --direction --csv --limit --cursor --all --help\" ;;\n"
	       "    completion) subs=\"bash\" ;;\n"
	       "    health) opts=\"--help\" ;;\n"
	       "  esac\n"
	       "  if [[ $cmd == rates && $sub == import && $cur != -* ]]; then\n"
	       "    COMPREPLY=($(compgen -f -- \"$cur\")); return\n"
	       "  fi\n"
	       "  if [[ -z $sub && -n $subs && $cur != -* ]]; then\n"
	       "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\")); return\n"
	       "  fi\n"
	       "  COMPREPLY=($(compgen -W \"$opts $global\" -- \"$cur\"))\n"
	       "}\n"
	       "complete -F _trunkctl trunkctl\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl c = { 0 };
	struct global g = { 0 };
	char *cs = NULL, *ct = NULL, cmdbuf[64];
	const char *cmd;
	int n = argc - 1, err;
	char **av = argv + 1;

	if ((err = take_globals(&c, &g, &n, av)))
		return err;
	c.json = g.json;
	c.quiet = g.quiet;
	c.tty_err = isatty(STDERR_FILENO);
	if (n == 0) {
		fputs(main_help, stderr);
		return EX_USAGE;
	}
	cmd = av[0];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(main_help, stdout);
		return EX_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("trunkctl 0.1.0\n");
		return EX_OK;
	}
	snprintf(cmdbuf, sizeof(cmdbuf), "%s%s%s", cmd, n > 1 && av[1][0] != '-' ? " " : "",
		 n > 1 && av[1][0] != '-' ? av[1] : "");
	c.cmd = cmdbuf;
	if (!strcmp(cmd, "completion"))
		return cmd_completion(&c, n - 1, av + 1);
	if (!is_resource(cmd) && strcmp(cmd, "route") && strcmp(cmd, "calls") &&
	    strcmp(cmd, "stats") && strcmp(cmd, "cdr") && strcmp(cmd, "health")) {
		c.cmd = NULL;
		return fail(&c, EX_USAGE, "unknown command '%s' (see 'trunkctl --help')", cmd);
	}
	/* Help needs no server: look for it before the setup. */
	for (int i = 1; i < n; i++) {
		if (!strcmp(av[i], "--"))
			break;
		if (!strcmp(av[i], "-h") || !strcmp(av[i], "--help") ||
		    (i == 1 && !strcmp(av[i], "help")) ||
		    (i == 1 && n == 2 && (is_resource(cmd) || !strcmp(cmd, "route")) &&
		     !strcmp(av[i], "help")))
			goto run;
	}
	if (n == 1 && (is_resource(cmd) || !strcmp(cmd, "route")))
		goto run;        /* prints the command's help, exit 2 */
	if ((err = setup(&c, &g, strcmp(cmd, "health") != 0, &cs, &ct)))
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		err = fail(&c, EX_SERVER, "cannot start libcurl");
		goto out;
	}
run:
	if (is_resource(cmd))
		err = cmd_resource(&c, cmd, n - 1, av + 1);
	else if (!strcmp(cmd, "route"))
		err = cmd_route(&c, n - 1, av + 1);
	else if (!strcmp(cmd, "calls"))
		err = cmd_calls(&c, n - 1, av + 1);
	else if (!strcmp(cmd, "stats"))
		err = cmd_stats(&c, n - 1, av + 1);
	else if (!strcmp(cmd, "cdr"))
		err = cmd_cdr(&c, n - 1, av + 1);
	else
		err = cmd_health(&c, n - 1, av + 1);
	if (fflush(stdout) && !err)
		err = fail(&c, EX_SERVER, "cannot write the output: %s", strerror(errno));
out:
	if (c.curl)
		curl_easy_cleanup(c.curl);
	curl_global_cleanup();
	free(c.server_buf);
	free(cs);
	free(ct);
	return err;
}
