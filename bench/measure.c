/*
 * bench-measure: run a command and report its wall time and peak RSS.
 *
 *   bench-measure FD -- PROGRAM [ARGS...]
 *
 * Forks, execs PROGRAM (stdin/stdout/stderr inherited), waits with wait4, and writes
 * "<wall ns> <ru_maxrss KiB> <exit code>\n" to file descriptor FD.
 *
 * Why not time from Python directly: after fork the child's ru_maxrss starts at the
 * forking process's resident size, so a child forked from a ~20 MiB Python interpreter
 * reports at least ~20 MiB whatever it really uses. Forked from this tiny process, the
 * floor is ~1 MiB. bench/run compiles this file with cc at run time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: bench-measure FD -- PROGRAM [ARGS...]\n");
        return 2;
    }
    int report = atoi(argv[1]);
    fcntl(report, F_SETFD, FD_CLOEXEC);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[3], &argv[3]);
        fprintf(stderr, "bench-measure: cannot run %s: %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    dprintf(report, "%lld %ld %d\n", ns, ru.ru_maxrss, code);
    return 0;
}
