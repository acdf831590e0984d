/* SPDX-License-Identifier: GPL-2.0-or-later */
/**
 * @file loop.c  One epoll event loop per thread (after Redis ae.c).
 *
 * A loop multiplexes file descriptors (a handler per fd, in a table
 * indexed by the fd), runs its timer wheel (timer.c) and a FIFO of calls
 * posted from other threads. An eventfd wakes epoll_wait() when a call is
 * posted or the loop is asked to stop; it is the only thing other threads
 * touch, with the FIFO under a mutex.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "loop_int.h"

#define LOG_MOD "loop"

enum { LOOP_BATCH = 64 };

struct fdent {
	loop_fd_h *h;        /* NULL: fd not registered */
	void *arg;           /* borrowed */
	int events;          /* LOOP_READ | LOOP_WRITE */
};

struct call {
	struct call *next;
	loop_call_h *h;
	void *arg;           /* borrowed, handed to h */
};

struct loop {
	int epfd;
	int evfd;                    /* wakes epoll_wait: calls, stop */
	struct fdent *fds;           /* owned, indexed by fd */
	size_t fdcap;
	pthread_mutex_t lock;        /* protects calls_* */
	struct call *calls_head;     /* owned FIFO */
	struct call *calls_tail;
	atomic_bool stop;
	struct tmr_wheel wheel;
};

static _Thread_local struct loop *cur_loop;

struct tmr_wheel *loop_wheel(struct loop *loop)
{
	return &loop->wheel;
}

struct loop *loop_current(void)
{
	return cur_loop;
}

int loop_alloc(struct loop **lp)
{
	struct loop *loop;
	struct epoll_event ev = { .events = EPOLLIN };
	int err = 0;

	loop = calloc(1, sizeof(*loop));
	if (!loop)
		return -ENOMEM;
	loop->evfd = -1;
	pthread_mutex_init(&loop->lock, NULL);
	tmr_wheel_init(&loop->wheel, time_ms());
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		err = -errno;
		goto out;
	}
	loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->evfd < 0) {
		err = -errno;
		goto out;
	}
	/* data.fd = -1 marks the wake-up fd; real fds are >= 0 */
	ev.data.fd = -1;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->evfd, &ev) < 0)
		err = -errno;
out:
	if (err)
		loop_free(loop);
	else
		*lp = loop;
	return err;
}

/* Run every queued call, in order; calls posted meanwhile run next round. */
static void run_calls(struct loop *loop)
{
	struct call *c;

	pthread_mutex_lock(&loop->lock);
	c = loop->calls_head;
	loop->calls_head = loop->calls_tail = NULL;
	pthread_mutex_unlock(&loop->lock);
	while (c) {
		struct call *next = c->next;
		c->h(c->arg);
		free(c);
		c = next;
	}
}

void loop_free(struct loop *loop)
{
	struct loop *prev;

	if (!loop)
		return;
	/* Calls still queued carry ownership (references handed over), so
	 * they run rather than leak: on this thread, as if it were the
	 * loop's. */
	prev = cur_loop;
	cur_loop = loop;
	run_calls(loop);
	cur_loop = prev;
	tmr_wheel_close(&loop->wheel);
	if (loop->evfd >= 0)
		close(loop->evfd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	pthread_mutex_destroy(&loop->lock);
	free(loop->fds);
	free(loop);
}

static uint32_t to_epoll(int events)
{
	return (events & LOOP_READ ? EPOLLIN : 0u) | (events & LOOP_WRITE ? EPOLLOUT : 0u) |
	       (events & LOOP_EXCLUSIVE ? (unsigned)EPOLLEXCLUSIVE : 0u);
}

int loop_fd_add(struct loop *loop, int fd, int events, loop_fd_h *h, void *arg)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };

	if (fd < 0 || !h)
		return -EINVAL;
	if ((size_t)fd >= loop->fdcap) {
		size_t cap = loop->fdcap ? loop->fdcap : 64;
		struct fdent *n;
		while (cap <= (size_t)fd)
			cap *= 2;
		n = realloc(loop->fds, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		memset(n + loop->fdcap, 0, (cap - loop->fdcap) * sizeof(*n));
		loop->fds = n;
		loop->fdcap = cap;
	}
	if (loop->fds[fd].h)
		return -EEXIST;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->fds[fd] = (struct fdent){ h, arg, events };
	return 0;
}

int loop_fd_mod(struct loop *loop, int fd, int events)
{
	struct epoll_event ev = { .events = to_epoll(events), .data.fd = fd };

	if (fd < 0 || (size_t)fd >= loop->fdcap || !loop->fds[fd].h)
		return -ENOENT;
	if (loop->fds[fd].events == events)
		return 0;
	if ((events | loop->fds[fd].events) & LOOP_EXCLUSIVE)
		return -EINVAL;     /* the kernel refuses EPOLL_CTL_MOD on those */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	loop->fds[fd].events = events;
	return 0;
}

void loop_fd_del(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->fdcap || !loop->fds[fd].h)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->fds[fd] = (struct fdent){ 0 };
}

static void wake(struct loop *loop)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is already non-zero: a wake-up is due */
	if (write(loop->evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		LERR("msg=\"eventfd write failed\" errno=%d", errno);
}

void loop_stop(struct loop *loop)
{
	atomic_store(&loop->stop, true);
	wake(loop);
}

int loop_call(struct loop *loop, loop_call_h *h, void *arg)
{
	struct call *c;
	bool first;

	if (!loop || !h)
		return -EINVAL;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	*c = (struct call){ NULL, h, arg };
	pthread_mutex_lock(&loop->lock);
	first = !loop->calls_head;
	if (loop->calls_tail)
		loop->calls_tail->next = c;
	else
		loop->calls_head = c;
	loop->calls_tail = c;
	pthread_mutex_unlock(&loop->lock);
	/* a non-empty FIFO already has a wake-up pending */
	if (first)
		wake(loop);
	return 0;
}

static void dispatch(struct loop *loop, const struct epoll_event *ev)
{
	int fd = ev->data.fd, events = 0;
	struct fdent *e;

	if (fd < 0) {
		uint64_t v;
		if (read(loop->evfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			LERR("msg=\"eventfd read failed\" errno=%d", errno);
		run_calls(loop);
		return;
	}
	if ((size_t)fd >= loop->fdcap)
		return;
	e = &loop->fds[fd];
	if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		events |= LOOP_READ;
	if (ev->events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		events |= LOOP_WRITE;
	/* An earlier handler of this batch may have removed or changed the
	 * fd: deliver only what is still asked for. Errors go to whichever
	 * side is registered, so the handler meets them in read or write. */
	events &= e->events;
	if (!events && (ev->events & (EPOLLHUP | EPOLLERR)))
		events = LOOP_READ;
	if (e->h && events)
		e->h(fd, events, e->arg);
}

int loop_run(struct loop *loop)
{
	struct epoll_event evs[LOOP_BATCH];
	struct loop *prev = cur_loop;
	int err = 0;

	cur_loop = loop;
	while (!atomic_load(&loop->stop)) {
		int timeout = tmr_wheel_timeout(&loop->wheel, time_ms());
		int n = epoll_wait(loop->epfd, evs, LOOP_BATCH, timeout);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			LERR("msg=\"epoll_wait failed\" errno=%d", errno);
			break;
		}
		for (int i = 0; i < n && !atomic_load(&loop->stop); i++)
			dispatch(loop, &evs[i]);
		tmr_wheel_run(&loop->wheel, time_ms());
	}
	/* A stop posted before the loop ran counts: it is consumed here. */
	atomic_store(&loop->stop, false);
	cur_loop = prev;
	return err;
}
