//! The scan: every managed user, each user's folder tree walked as that
//! user, every file queued once, and the workers that scan what the queue
//! hands them, across users at once within Box's limits.
