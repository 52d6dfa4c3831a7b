/*
 * minidocker's namespace helper: the only native code of the runtime.
 *
 * Bun is multi-threaded, so the CLI cannot unshare(CLONE_NEWUSER) or setns into a mount/user
 * namespace, and a fork from JS crashes the child. md_spawn() clones a single-threaded child in
 * C, which execve's our own binary's hidden `init` stage: straight into its new namespaces
 * (one clone), or as the host's root, and then md_nsenter, a constructor of this library
 * preloaded into init, joins and creates the namespaces before Bun starts (like runc's nsexec).
 * md_spawn's child only makes raw system calls: no malloc, no stdio, no locks.
 *
 * It declares its own prototypes and constants: a minimal host has no /usr/include, and the
 * same source is compiled by gcc at build time and by TinyCC (bun:ffi `cc`) as a fallback.
 */

typedef unsigned long size_t;

extern long syscall(long number, ...);

#if defined(__x86_64__)
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_close 3
#define NR_rt_sigaction 13
#define NR_rt_sigprocmask 14
#define NR_getpid 39
#define NR_fcntl 72
#define NR_clone 56
#define NR_clone3 435
#define NR_exit_group 231
#define NR_mount 165
#define NR_unshare 272
#define NR_setns 308
#define NR_setresuid 117
#define NR_setresgid 119
#define NR_prctl 157
#define NR_execveat 322
#define NR_execve 59
#define NR_pipe2 293
#define NR_access 21
#elif defined(__aarch64__)
#define NR_read 63
#define NR_write 64
#define NR_openat 56
#define NR_close 57
#define NR_rt_sigaction 134
#define NR_rt_sigprocmask 135
#define NR_getpid 172
#define NR_fcntl 25
#define NR_clone 220
#define NR_clone3 435
#define NR_exit_group 94
#define NR_mount 40
#define NR_unshare 97
#define NR_setns 268
#define NR_setresuid 147
#define NR_setresgid 149
#define NR_prctl 167
#define NR_execveat 281
#define NR_execve 221
#define NR_pipe2 59
#define NR_faccessat 48
#else
#error "unsupported architecture"
#endif

#define SIGCHLD 17
#define SIGKILL 9
#define SIGSTOP 19
#define SIG_SETMASK 2
#define CLONE_NEWUSER 0x10000000
#define CLONE_NEWPID 0x20000000
#define CLONE_NEWTIME 0x00000080
#define CLONE_NEWNS 0x00020000
#define CLONE_INTO_CGROUP 0x200000000UL
#define MS_RDONLY 1
#define MS_NOSUID 2
#define MS_NODEV 4
#define MS_NOEXEC 8
#define MS_REMOUNT 32
#define MS_BIND 4096
#define MS_REC 16384
#define MS_SLAVE (1 << 19)
#define F_SETFD 2
#define O_RDONLY 0
#define O_WRONLY 1
#define O_PATH 010000000
#if defined(__aarch64__)
#define O_DIRECTORY 040000 /* the generic value; x86's 0200000 means O_DIRECT here */
#else
#define O_DIRECTORY 0200000
#endif
#define O_CLOEXEC 02000000
#define AT_FDCWD -100
#define AT_EMPTY_PATH 0x1000
#define PR_SET_PDEATHSIG 1
#define PR_GET_DUMPABLE 3
#define PR_SET_DUMPABLE 4
#define SIG_DFL 0

/* Messages to the parent on the sync socket: fixed 64-byte records, then init's JSON lines. */
enum { MSG_NEED_MAPS = 1, MSG_PID = 2, MSG_ERROR = 3 };
struct md_msg {
  int type;
  int value; /* pid, or errno for MSG_ERROR */
  char step[56];
};

/* Layout shared with src/stages/spawn.ts (all fields 8 bytes wide). */
struct md_spawn {
  long sync_fd;         /* child's end of the socketpair */
  const char *exe_path; /* our binary */
  char *const *argv;
  char *const *envp;
  long clone_flags;     /* one clone: the namespaces to create */
  long protect_exe;     /* exec the binary through a private read-only bind (CVE-2019-5736) */
  long close_fd;        /* the parent's end of the socketpair, closed in the child */
  long cgroup_fd;       /* a cgroup2 directory to clone the first child straight into, or -1 */
  long nsenter;         /* 1: init enters its namespaces itself, in md_nsenter (envp says how) */
  long keep_count;      /* nsenter: fds (close-on-exec in the CLI) the child passes on to init */
  const long *keep_fds;
  long cgroup_joined;   /* out: 1 when the clone put it there (CLONE_INTO_CGROUP) */
  long init_is_child;   /* out: 1 when the returned child is init itself (no records follow) */
};

/* clone3(2)'s argument (Linux 5.7+ with the cgroup field). */
struct clone_args {
  unsigned long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

static long sys_open(const char *path, long flags, long mode) {
#ifdef NR_open
  return syscall(NR_open, path, flags, mode);
#else
  return syscall(NR_openat, AT_FDCWD, path, flags, mode);
#endif
}

static long sys_access(const char *path, long mode) {
#ifdef NR_access
  return syscall(NR_access, path, mode);
#else
  return syscall(NR_faccessat, AT_FDCWD, path, mode);
#endif
}

static size_t str_len(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

static void send_msg(long fd, int type, int value, const char *step) {
  struct md_msg msg;
  char *p = (char *)&msg;
  for (size_t i = 0; i < sizeof msg; i++) p[i] = 0;
  msg.type = type;
  msg.value = value;
  for (size_t i = 0; step && step[i] && i < sizeof msg.step - 1; i++) msg.step[i] = step[i];
  syscall(NR_write, fd, &msg, sizeof msg);
}

/*
 * Once the parent knows init's pid it reads init's JSON lines, not records: from then on (in init
 * itself) a failure is reported as such a line, {"type":"error","step":…,"errno":N}.
 */
static int pid_reported;

static void send_error_line(long fd, const char *step, int err) {
  char line[160];
  size_t n = 0;
  const char *parts[] = { "{\"type\":\"error\",\"step\":\"", step, "\",\"errno\":" };
  for (size_t p = 0; p < 3; p++)
    for (size_t i = 0; parts[p][i] && n < 120; i++) line[n++] = parts[p][i]; /* steps are plain ASCII, no quotes */
  char digits[12];
  size_t d = 0;
  do digits[d++] = (char)('0' + err % 10); while ((err /= 10) > 0 && d < sizeof digits);
  while (d > 0) line[n++] = digits[--d];
  line[n++] = '}';
  line[n++] = '\n';
  syscall(NR_write, fd, line, n);
}

/* Report the failed step with its errno to the parent, then die. */
static void fail(struct md_spawn *s, const char *step, long ret) {
  if (pid_reported) send_error_line(s->sync_fd, step, (int)-ret);
  else send_msg(s->sync_fd, MSG_ERROR, (int)-ret, step);
  syscall(NR_exit_group, 1);
}

static void check(struct md_spawn *s, const char *step, long ret) {
  if (ret < 0) fail(s, step, ret);
}

/* glibc's syscall() returns -1 and sets errno; take errno through the libc accessor. */
extern int *__errno_location(void);
static long sc(long ret) { return ret == -1 ? -(long)*__errno_location() : ret; }

/*
 * md_spawn blocks every signal around the clone, so none can run one of Bun's handlers in the
 * child (they would run Bun code in a process that is not Bun's). The child resets every
 * handler to the default, then unblocks: a signal that arrived meanwhile gets its default
 * action. Bun also ignores some signals, and execve keeps ignored dispositions and the mask.
 */
static void reset_signals(void) {
  struct { unsigned long handler, flags, restorer, mask; } dfl = { SIG_DFL, 0, 0, 0 };
  for (int sig = 1; sig < 65; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(NR_rt_sigaction, sig, &dfl, 0, 8);
  unsigned long empty = 0;
  syscall(NR_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
}

static long exec_init(struct md_spawn *s, long exe_fd) {
  if (exe_fd >= 0) return sc(syscall(NR_execveat, exe_fd, "", s->argv, s->envp, AT_EMPTY_PATH));
  return sc(syscall(NR_execve, s->exe_path, s->argv, s->envp));
}

/*
 * Exec ourselves through a read-only bind in a private mount namespace (the caller unshared it),
 * so a container process reopening /proc/<init>/exe can never write to the host's binary
 * (CVE-2019-5736). Returns an O_PATH fd of the protected binary.
 */
static long protect_binary(struct md_spawn *s) {
  check(s, "make / rslave", sc(syscall(NR_mount, 0, "/", 0, MS_REC | MS_SLAVE, 0)));
  check(s, "bind the runtime binary", sc(syscall(NR_mount, s->exe_path, s->exe_path, 0, MS_BIND, 0)));
  check(s, "remount the runtime binary read-only",
        sc(syscall(NR_mount, 0, s->exe_path, 0, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, 0)));
  long fd = sc(sys_open(s->exe_path, O_PATH | O_CLOEXEC, 0));
  check(s, "open the runtime binary", fd);
  return fd;
}

/*
 * Whenever init does more than make new namespaces in one clone (exec, a joined namespace, a
 * user or time namespace), our child only protects the binary and execs it: still the host's
 * root, in the host's user and pid namespaces, which no container process can reach. The new
 * process enters the namespaces in md_nsenter (a constructor: single-threaded, before Bun's
 * main), so Bun's libraries come from the host while its root is already the container's,
 * and its memory belongs to the host's user namespace (mm->user_ns: a container process with
 * CAP_SYS_PTRACE in its own user namespace cannot ptrace it once it is non-dumpable). runc's
 * nsexec does the same before the Go runtime starts.
 */
static void child(struct md_spawn *s) {
  reset_signals();
  /* The CLI waits for us; if it dies mid-setup, we must not linger. Kept over execve; not
   * inherited by a forked init. */
  sc(syscall(NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
  if (s->close_fd >= 0) syscall(NR_close, s->close_fd);
  for (long i = 0; i < s->keep_count; i++)
    check(s, "clear close-on-exec", sc(syscall(NR_fcntl, s->keep_fds[i], F_SETFD, 0)));
  long exe_fd = -1;
  if (s->protect_exe) {
    check(s, "unshare mount namespace for the read-only binary", sc(syscall(NR_unshare, CLONE_NEWNS)));
    exe_fd = protect_binary(s);
  }
  fail(s, "execve init", exec_init(s, exe_fd));
}

/* The common case, new namespaces only: one clone() with every CLONE_NEW* flag makes init
 * directly (PID 1 of a new pid namespace). */
static void init_child(struct md_spawn *s) {
  pid_reported = 1; /* the parent knows our pid from clone: it reads JSON lines from the start */
  reset_signals();
  if (s->close_fd >= 0) syscall(NR_close, s->close_fd);
  long exe_fd = s->protect_exe ? protect_binary(s) : -1;
  fail(s, "execve init", exec_init(s, exe_fd));
}

/*
 * fork-like clone with `flags`, into s->cgroup_fd's cgroup when given: moving a process there
 * later (a cgroup.procs write) waits for an RCU grace period, 5-16 ms measured here, while a
 * clone into it takes no global lock. If that fails (a kernel before 5.7, a cgroup that refuses),
 * a plain clone, and the caller moves the process as before (cgroup_joined stays 0).
 */
static long clone_child(struct md_spawn *s, unsigned long flags) {
  s->cgroup_joined = 0;
  if (s->cgroup_fd >= 0) {
    struct clone_args args = { 0 };
    args.flags = (flags & ~0xffUL) | CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = (unsigned long)s->cgroup_fd;
    long pid = sc(syscall(NR_clone3, &args, sizeof args));
    if (pid >= 0) {
      if (pid > 0) s->cgroup_joined = 1;
      return pid;
    }
    /* ENOSYS/E2BIG (old kernel) or a cgroup that refuses it: the caller's cgroup.procs write says why */
  }
  return sc(syscall(NR_clone, SIGCHLD | flags, 0, 0, 0, 0));
}

/* Returns the first child's pid (> 0) or -errno. Only the parent returns. */
long md_spawn(struct md_spawn *s) {
  unsigned long all = ~0UL, caller_mask;
  syscall(NR_rt_sigprocmask, SIG_SETMASK, &all, &caller_mask, 8);
  long pid;
  s->init_is_child = !s->nsenter;
  if (s->init_is_child) {
    pid = clone_child(s, s->clone_flags);
    if (pid == 0) init_child(s);
  } else {
    pid = clone_child(s, 0);
    if (pid == 0) child(s);
  }
  syscall(NR_rt_sigprocmask, SIG_SETMASK, &caller_mask, 0, 8);
  return pid;
}

/* ── md_nsenter: init's namespaces, entered before Bun starts ─────────────────────────────── */

extern char *getenv(const char *name);
extern int unsetenv(const char *name);
extern int fork(void); /* glibc's: the child's thread descriptor must know its own tid */

/* "SYNC_FD CLONE_FLAGS COUNT FD:TYPE…", and the time namespace's offsets (src/stages/spawn.ts) */
#define NSENTER_ENV "_MINIDOCKER_NSENTER"
#define TIMENS_ENV "_MINIDOCKER_TIMENS"
#define MAX_JOIN 16

static long parse_long(const char **p) {
  while (**p == ' ' || **p == ':') (*p)++;
  long v = 0;
  while (**p >= '0' && **p <= '9') v = v * 10 + (*(*p)++ - '0');
  return v;
}

static void write_timens_offsets(struct md_spawn *s, const char *offsets) {
  /* After setresuid in a new user namespace we are non-dumpable, which makes the files of
   * /proc/self owned by the host's root, unmapped here: EACCES. Dumpable for this one write:
   * we are not in any container's pid namespace yet (that is our child), nothing there sees us. */
  long was = sc(syscall(NR_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0));
  sc(syscall(NR_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0));
  long fd = sc(sys_open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC, 0));
  check(s, "open /proc/self/timens_offsets", fd);
  check(s, "write /proc/self/timens_offsets", sc(syscall(NR_write, fd, offsets, str_len(offsets))));
  syscall(NR_close, fd);
  if (was >= 0) sc(syscall(NR_prctl, PR_SET_DUMPABLE, was, 0, 0, 0));
}

/*
 * Is our last argument "init"? Read from /proc/self/cmdline (NUL-terminated arguments): glibc
 * passes constructors (argc, argv, envp), musl passes nothing.
 */
static int last_argument_is_init(void) {
  long fd = sc(sys_open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0));
  if (fd < 0) return 0;
  char buf[256], arg[6], last[6];
  size_t arg_len = 0, last_len = 0; /* capped at sizeof arg: longer is "not init" */
  long n;
  while ((n = sc(syscall(NR_read, fd, buf, sizeof buf))) > 0) {
    for (long i = 0; i < n; i++) {
      if (buf[i] == 0) {
        for (size_t j = 0; j < arg_len && j < sizeof arg; j++) last[j] = arg[j];
        last_len = arg_len;
        arg_len = 0;
      } else if (arg_len < sizeof arg) {
        arg[arg_len++] = buf[i];
      }
    }
  }
  syscall(NR_close, fd);
  return last_len == 4 && last[0] == 'i' && last[1] == 'n' && last[2] == 'i' && last[3] == 't';
}

__attribute__((constructor)) static void md_nsenter(void) {
  const char *spec = getenv(NSENTER_ENV);
  /* only our own `init` stage: the CLI dlopens this library too */
  if (!spec || !last_argument_is_init()) return;
  struct md_spawn self = { 0 };
  struct md_spawn *s = &self;
  s->sync_fd = parse_long(&spec);
  long preload_fd = parse_long(&spec);
  long clone_flags = parse_long(&spec);
  long ns_count = parse_long(&spec);
  long ns_fds[MAX_JOIN], ns_types[MAX_JOIN];
  if (ns_count > MAX_JOIN) fail(s, "too many namespaces to join", -7 /* E2BIG */);
  for (long i = 0; i < ns_count; i++) {
    ns_fds[i] = parse_long(&spec);
    ns_types[i] = parse_long(&spec);
  }
  const char *timens = getenv(TIMENS_ENV);
  /* Bun's own children (hooks) must not preload us */
  unsetenv("LD_PRELOAD");
  unsetenv(NSENTER_ENV);
  unsetenv(TIMENS_ENV);
  if (preload_fd >= 0) syscall(NR_close, preload_fd);

  /* Joining: non-dumpable before anything of the container can see us, for init's whole life
   * (runc's nsexec does so too). A new user namespace makes us so at setresuid below. */
  if (ns_count > 0) check(s, "prctl(PR_SET_DUMPABLE, 0)", sc(syscall(NR_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0)));
  int joined_mnt = 0;
  for (long i = 0; i < ns_count; i++) {
    /* "setns <i>": the parent names the namespace and its path */
    char step[] = "setns 00";
    step[6] = (char)('0' + i / 10 % 10);
    step[7] = (char)('0' + i % 10);
    check(s, step, sc(syscall(NR_setns, ns_fds[i], ns_types[i])));
    syscall(NR_close, ns_fds[i]);
    if (ns_types[i] == CLONE_NEWNS) joined_mnt = 1;
  }

  if (clone_flags & CLONE_NEWUSER) {
    check(s, "unshare user namespace", sc(syscall(NR_unshare, CLONE_NEWUSER)));
    send_msg(s->sync_fd, MSG_NEED_MAPS, (int)sc(syscall(NR_getpid)), "");
    char ack;
    if (sc(syscall(NR_read, s->sync_fd, &ack, 1)) != 1) fail(s, "wait for id mappings", -5);
    if (ack != 'M') fail(s, "id mappings", -22);
  }
  /* Become root of the (possibly new) user namespace: init needs it for mounts. Fails (EINVAL)
   * when the namespace maps no uid or gid 0. */
  if (ns_count > 0 || (clone_flags & CLONE_NEWUSER)) {
    check(s, "become root in the user namespace: setresgid(0)", sc(syscall(NR_setresgid, 0, 0, 0)));
    check(s, "become root in the user namespace: setresuid(0)", sc(syscall(NR_setresuid, 0, 0, 0)));
  }

  long rest = clone_flags & ~CLONE_NEWUSER;
  if (rest) check(s, "unshare namespaces", sc(syscall(NR_unshare, rest)));
  if ((rest & CLONE_NEWTIME) && timens && timens[0]) write_timens_offsets(s, timens);

  /* A new or joined pid (or time) namespace applies to children only: fork once more. */
  if (rest & (CLONE_NEWPID | CLONE_NEWTIME) || ns_count > 0) {
    /* init reports failures as JSON lines, which must follow our MSG_PID record: it waits for this byte */
    int reported[2];
    check(s, "pipe", sc(syscall(NR_pipe2, reported, O_CLOEXEC)));
    long pid = fork();
    check(s, "fork init", sc(pid));
    if (pid > 0) {
      send_msg(s->sync_fd, MSG_PID, (int)pid, "");
      syscall(NR_write, reported[1], "p", 1);
      syscall(NR_exit_group, 0);
    }
    syscall(NR_close, reported[1]);
    char byte = 0;
    /* EOF: our parent died before reporting us; the CLI sees it exit and gives up */
    if (sc(syscall(NR_read, reported[0], &byte, 1)) != 1) syscall(NR_exit_group, 1);
    syscall(NR_close, reported[0]);
  } else {
    /* We are the init ourselves: the death signal must not outlive `create`. */
    sc(syscall(NR_prctl, PR_SET_PDEATHSIG, 0, 0, 0, 0));
    send_msg(s->sync_fd, MSG_PID, (int)sc(syscall(NR_getpid)), "");
  }
  pid_reported = 1;
  /* Bun starts in the joined mount namespace's root, the container's: it reads /proc/self/maps
   * and /proc/stat as it starts, and aborts without them. */
  if (joined_mnt) check(s, "init starts in the container: open /proc/self/maps (is /proc mounted?)",
                        sc(sys_access("/proc/self/maps", 4 /* R_OK */)));
}
