/* The kernels' worker threads: a parallel-for over task indices that the calling thread takes part in. */
#ifndef GQA_THREAD_POOL_H
#define GQA_THREAD_POOL_H

typedef void (*gqa_task_fn)(void *context, int task);

/* Runs fn(context, t) for every t in [0, tasks), spread over the pool; returns when all are done. Meant for one
 * caller at a time (the engine thread); a concurrent caller runs its tasks alone. A task never calls it. */
void gqa_parallel_for(int tasks, gqa_task_fn fn, void *context);

#endif
