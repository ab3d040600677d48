/* report_dir.c - writes the auditor's files atomically: each to a temporary name in its
 * directory, fsync'd, then all renamed at once; the PDF is printed by headless Chromium. */
#include "report_dir.h"
#include "mask.h"
#include "custody.h"
#include "evidence.h"
#include "report_eve.h"
#include "report_html.h"
#include "report_json.h"
#include "report_md.h"
#include "util.h"
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DIR_MAX_STAGED 8

struct stage { char *tmp, *final; };

struct staging { struct stage s[DIR_MAX_STAGED]; size_t n; };

/* Opens a temporary file beside final; NULL with errbuf. */
static FILE *stage_open(struct staging *st, const char *final, char *errbuf, size_t errlen)
{
	struct stage *s = &st->s[st->n];
	size_t n = strlen(final) + 16;
	s->final = util_xstrdup(final);
	if (util_special_file(final)) {  /* --eve /dev/null: written straight, never replaced */
		FILE *f = fopen(final, "w");
		if (!f) {
			snprintf(errbuf, errlen, "%s: cannot write: %s", final, strerror(errno));
			free(s->final);
			return NULL;
		}
		s->tmp = NULL;
		st->n++;
		return f;
	}
	s->tmp = util_xmalloc(n);
	char *copy = util_xstrdup(final), *slash = strrchr(copy, '/');
	if (slash) {
		*slash = 0;
		snprintf(s->tmp, n, "%s/.%s.tmpXXXXXX", copy, slash + 1);
	} else {
		snprintf(s->tmp, n, ".%s.tmpXXXXXX", copy);
	}
	free(copy);
	int fd = util_mkstemp(s->tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(errbuf, errlen, "%s: cannot write: %s", final, strerror(errno));
		if (fd >= 0) {
			close(fd);
			util_tmp_remove(s->tmp);
		}
		free(s->tmp);
		free(s->final);
		return NULL;
	}
	st->n++;
	return f;
}

/* Flushes, syncs and closes f; gives the file the mode a new file would get. */
static int stage_close(struct staging *st, FILE *f, int ok, char *errbuf, size_t errlen)
{
	const struct stage *s = &st->s[st->n - 1];
	ok = ok && fflush(f) == 0 && (!s->tmp || fsync(fileno(f)) == 0);
	int err = errno;
	if (fclose(f) != 0 && ok) {
		ok = 0;
		err = errno;
	}
	if (!ok) {
		snprintf(errbuf, errlen, "%s: cannot write: %s", s->final, strerror(err));
		return -1;
	}
	mode_t um = umask(0);
	umask(um);
	if (s->tmp)
		chmod(s->tmp, 0666 & ~um);
	return 0;
}

static void staging_free(struct staging *st, int unlink_tmp)
{
	for (size_t i = 0; i < st->n; i++) {
		if (unlink_tmp && st->s[i].tmp)
			util_tmp_remove(st->s[i].tmp);
		else if (st->s[i].tmp)
			util_tmp_done(st->s[i].tmp);
		free(st->s[i].tmp);
		free(st->s[i].final);
	}
	st->n = 0;
}

static int staging_commit(struct staging *st, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < st->n; i++) {
		if (st->s[i].tmp && rename(st->s[i].tmp, st->s[i].final) != 0) {
			snprintf(errbuf, errlen, "%s: cannot write: %s", st->s[i].final, strerror(errno));
			return -1;
		}
		util_tmp_done(st->s[i].tmp);
		free(st->s[i].tmp);
		st->s[i].tmp = NULL;
	}
	return 0;
}

int report_dir_check(const char *dir, char *errbuf, size_t errlen)
{
	struct stat sb;
	if (stat(dir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode)) {
			snprintf(errbuf, errlen, "-o %s: not a directory", dir);
			return -1;
		}
		if (access(dir, W_OK | X_OK) != 0) {
			snprintf(errbuf, errlen, "-o %s: cannot write in it: %s", dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	char parent[PATH_MAX];
	if (util_parent_writable(dir, parent, sizeof parent) == 0)
		return 0;
	snprintf(errbuf, errlen, "-o %s: cannot create it in %s: %s", dir, parent, strerror(errno));
	return -1;
}

int report_dir_find_chromium(char *out, size_t outlen, char *errbuf, size_t errlen)
{
	static const char *names[] = { "chromium", "chromium-browser" };
	const char *path = getenv("PATH");
	char *copy = util_xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	int found = 0;
	for (size_t n = 0; n < 2 && !found; n++)
		for (char *save, *d = strtok_r(copy, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
			snprintf(out, outlen, "%s/%s", d, names[n]);
			found = access(out, X_OK) == 0;
		}
	free(copy);
	if (!found)
		snprintf(errbuf, errlen, "--pdf: Chromium not found in PATH (on Debian: apt-get install chromium)");
	return found ? 0 : -1;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	remove(p);
	return 0;
}

/* Prints dir/report.html to dir/report.pdf with headless Chromium. */
static int print_pdf(const char *dir, char *errbuf, size_t errlen)
{
	char chromium[4096], profile[] = "/tmp/phonehome-chromium.XXXXXX";
	if (report_dir_find_chromium(chromium, sizeof chromium, errbuf, errlen) < 0)
		return -1;
	char *abs = realpath(dir, NULL);
	if (!abs || !mkdtemp(profile)) {
		snprintf(errbuf, errlen, "--pdf: %s: %s", dir, strerror(errno));
		free(abs);
		return -1;
	}
	util_tmp_note_tree(profile);
	size_t n = strlen(abs) + 64;
	char *url = util_xmalloc(n), *tmp = util_xmalloc(n), *final = util_xmalloc(n), *pdfarg = util_xmalloc(n + 32);
	char udd[sizeof profile + 32];
	snprintf(url, n, "file://%s/report.html", abs);
	snprintf(tmp, n, "%s/.report.pdf.tmp", abs);
	snprintf(final, n, "%s/report.pdf", abs);
	snprintf(pdfarg, n + 32, "--print-to-pdf=%s", tmp);
	snprintf(udd, sizeof udd, "--user-data-dir=%s", profile);
	char *argv[] = { chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			 "--disable-background-networking", "--disable-component-update", "--disable-sync",
			 "--disable-dev-shm-usage", "--no-pdf-header-footer", udd, pdfarg, url, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* a process group of its own: a ^C at the terminal is phonehome's to act on (the first lets
	 * the PDF end, a second kills the group: Chromium and the processes it started) */
	posix_spawnattr_t sa;
	posix_spawnattr_init(&sa);
	posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&sa, 0);
	pid_t pid;
	util_tmp_note(tmp);  /* before Chromium can make it */
	int rc = posix_spawn(&pid, chromium, &fa, &sa, argv, environ), status = 0;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&sa);
	if (rc == 0)
		util_tmp_child(pid);
	while (rc == 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;  /* a first ^C lets the reports end: Chromium is awaited, not left printing alone */
	util_tmp_child(0);
	struct stat sb;
	int ok = rc == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 && stat(tmp, &sb) == 0 && sb.st_size > 0 &&
		 rename(tmp, final) == 0;
	if (!ok) {
		util_tmp_remove(tmp);
		snprintf(errbuf, errlen, "--pdf: %s could not print %s/report.html", chromium, dir);
	} else {
		util_tmp_done(tmp);
	}
	nftw(profile, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	util_tmp_done(profile);
	free(abs);
	free(url);
	free(tmp);
	free(final);
	free(pdfarg);
	return ok ? 0 : -1;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = util_xmalloc(n);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

enum { F_JSON, F_HTML, F_MD, F_EVE };

/* One staged file of kind k. */
static int write_one(struct staging *st, const char *path, int k, const struct audit *a,
		     const struct custody *c, char *errbuf, size_t errlen)
{
	FILE *f = stage_open(st, path, errbuf, errlen);
	if (!f)
		return -1;
	int ok;
	switch (k) {
	case F_JSON:
		ok = report_json_dump(a, f) == 0;
		break;
	case F_HTML: ok = report_html_write(f, a, c) == 0; break;
	case F_MD: ok = report_md_write(f, a, c) == 0; break;
	default: ok = report_eve_write(f, a) == 0; break;
	}
	return stage_close(st, f, ok, errbuf, errlen);
}

static int write_all(const struct audit *a, const char *dir, const char *eve_path, int pdf, char *errbuf,
		     size_t errlen)
{
	struct staging st = { .n = 0 };
	struct evidence ev;
	memset(&ev, 0, sizeof ev);
	struct custody c;
	custody_collect(a, &c);
	int made = 0, rc = -1;
	if (dir) {
		if (mkdir(dir, 0777) == 0) {
			made = 1;
		} else if (errno != EEXIST) {
			snprintf(errbuf, errlen, "-o %s: cannot create it: %s", dir, strerror(errno));
			return -1;
		}
		static const char *names[] = { "report.json", "report.html", "report.md", "events.json" };
		for (int k = F_JSON; k <= F_EVE; k++) {
			char *p = join(dir, names[k]);
			int r = write_one(&st, p, k, a, &c, errbuf, errlen);
			free(p);
			if (r < 0)
				goto fail;
		}
		if (evidence_write(a->rep, dir, &ev, errbuf, errlen) < 0)
			goto fail;
	}
	if (eve_path && write_one(&st, eve_path, F_EVE, a, &c, errbuf, errlen) < 0)
		goto fail;
	if (staging_commit(&st, errbuf, errlen) < 0 || evidence_commit(&ev, errbuf, errlen) < 0)
		goto fail;
	rc = 0;
	if (dir && pdf)
		rc = print_pdf(dir, errbuf, errlen);
fail:
	staging_free(&st, rc < 0);
	evidence_free(&ev);
	if (rc < 0 && made)
		rmdir(dir);
	return rc;
}

int report_dir_write(const struct audit *a, const char *dir, const char *eve_path, int pdf, char *errbuf,
		     size_t errlen)
{
	struct audit view = *a;  /* with a masker of its own: every string masked, rule values gathered once */
	char err[128];
	view.mask = mask_open(a, err, sizeof err);
	int rc = write_all(&view, dir, eve_path, pdf, errbuf, errlen);
	mask_free(view.mask);
	return rc;
}

int report_dir_md_stdout(const struct audit *a, char *errbuf, size_t errlen)
{
	struct custody c;
	custody_collect(a, &c);
	int rc = 0;
	if (report_md_write(stdout, a, &c) < 0 || fflush(stdout) != 0) {
		snprintf(errbuf, errlen, "-: cannot write Markdown to stdout: %s", strerror(errno));
		rc = -1;
	}
	return rc;
}
