/*
 * A minimal fork-join pool. The engine thread publishes a job by bumping a generation counter; workers spin on it for
 * a short while after each job (the next kernel of the step follows within microseconds) and then sleep on a futex,
 * so an idle service holds no core. The caller runs tasks too, closes the job when no task is left, and waits only for
 * the workers that joined it: a worker the OS has not scheduled (a busy machine) costs the caller nothing, where
 * waiting for every worker to acknowledge cost up to a scheduler time slice per kernel.
 * Joining is a Dekker handshake on two seq_cst words: a worker counts itself in `joined`, then checks the job is still
 * `open`; the caller closes it, then waits for `joined` to drain. Either the caller sees the worker or the worker sees
 * the job closed, so no worker touches a job (whose context lives on the caller's stack) after the caller returns.
 */
#define _GNU_SOURCE
#include "thread_pool.h"
#include "gqa_kernels.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GQA_MAX_THREADS 64

static struct {
    _Atomic uint32_t generation; /* the futex word: bumped once per job */
    _Atomic uint32_t open;       /* the generation of the job workers may still join; 0 when none */
    _Atomic int next_task;
    _Atomic int joined;          /* workers inside a job, or about to check whether they may be */
    _Atomic int sleepers;
    _Atomic int spin_ns;
    atomic_flag busy;            /* held by the caller whose job the workers run */
    int tasks;
    gqa_task_fn fn;
    void *context;
    int threads;                 /* caller included */
    int started;                 /* workers started so far */
    pthread_mutex_t start_lock;
} pool = { .spin_ns = 200 * 1000, .busy = ATOMIC_FLAG_INIT, .threads = 1, .start_lock = PTHREAD_MUTEX_INITIALIZER };

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void run_tasks(void)
{
    int task;
    while ((task = atomic_fetch_add_explicit(&pool.next_task, 1, memory_order_relaxed)) < pool.tasks) {
        pool.fn(pool.context, task);
    }
}

static void *worker_main(void *argument)
{
    uint32_t seen = (uint32_t)(uintptr_t)argument;
    for (;;) {
        int64_t deadline = now_ns() + atomic_load_explicit(&pool.spin_ns, memory_order_relaxed);
        uint32_t current;
        int polls = 0;
        while ((current = atomic_load_explicit(&pool.generation, memory_order_acquire)) == seen) {
            if ((++polls & 255) == 0 && now_ns() > deadline) {
                atomic_fetch_add(&pool.sleepers, 1);
                /* Returns at once if the generation moved since it was read (the kernel compares it atomically). */
                syscall(SYS_futex, &pool.generation, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
                atomic_fetch_sub(&pool.sleepers, 1);
            } else {
                cpu_relax();
            }
        }
        seen = current;
        atomic_fetch_add(&pool.joined, 1);
        if (atomic_load(&pool.open) == seen) {
            run_tasks();
        }
        atomic_fetch_sub_explicit(&pool.joined, 1, memory_order_release);
    }
    return NULL;
}

static void start_workers(void)
{
    pthread_mutex_lock(&pool.start_lock);
    while (pool.started < pool.threads - 1) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        uint32_t generation = atomic_load(&pool.generation);
        if (pthread_create(&thread, &attributes, worker_main, (void *)(uintptr_t)generation) != 0) {
            pthread_attr_destroy(&attributes);
            break; /* fewer workers than asked: the caller still runs every task */
        }
        pthread_attr_destroy(&attributes);
        pool.started++;
    }
    pthread_mutex_unlock(&pool.start_lock);
}

void gqa_parallel_for(int tasks, gqa_task_fn fn, void *context)
{
    if (tasks <= 0) {
        return;
    }
    /* A second caller while the pool runs a job (tests run engines side by side) does its work alone rather than
     * corrupt the job in flight. */
    if (pool.threads <= 1 || tasks == 1 || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        for (int t = 0; t < tasks; t++) {
            fn(context, t);
        }
        return;
    }
    if (pool.started < pool.threads - 1) {
        start_workers();
    }
    pool.fn = fn;
    pool.context = context;
    pool.tasks = tasks;
    atomic_store_explicit(&pool.next_task, 0, memory_order_relaxed);
    /* Only the caller holding `busy` moves the generation; 0 is skipped so that `open` 0 means closed. */
    uint32_t generation = atomic_load_explicit(&pool.generation, memory_order_relaxed) + 1;
    if (generation == 0) {
        generation = 1;
    }
    atomic_store(&pool.open, generation);       /* seq_cst: the job's fields are visible to whoever sees it open */
    atomic_store(&pool.generation, generation); /* seq_cst: publishes the job before sleepers is read */
    if (atomic_load(&pool.sleepers) > 0) {
        syscall(SYS_futex, &pool.generation, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    }
    run_tasks();
    atomic_store(&pool.open, 0); /* seq_cst, before reading joined: see the handshake above */
    while (atomic_load_explicit(&pool.joined, memory_order_acquire) > 0) {
        cpu_relax();
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}

void gqa_set_threads(int threads)
{
    if (threads < 1) {
        threads = 1;
    }
    if (threads > GQA_MAX_THREADS) {
        threads = GQA_MAX_THREADS;
    }
    /* Meant to be set once at start: workers already running stay and keep taking tasks. */
    pool.threads = threads;
}

int gqa_threads(void)
{
    return pool.threads;
}

void gqa_set_spin_microseconds(int microseconds)
{
    atomic_store(&pool.spin_ns, (microseconds < 0 ? 0 : microseconds) * 1000);
}
