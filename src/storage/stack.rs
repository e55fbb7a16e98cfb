//! Room on the stack for recursion whose depth the input decides: planning and running
//! a chain of views, one level per view. Each level calls [`grow`], which runs it on a
//! fresh segment of stack (allocated on the heap) when the current one is nearly used
//! up, so a deep chain costs memory, not an overflow. Depth itself is bounded where the
//! recursion starts (the planner's query depth limit).

/// Stack left below which the next level runs on a new segment.
const RED_ZONE: usize = 256 * 1024;
/// The size of each new segment.
const SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `f`, on a new stack segment when less than [`RED_ZONE`] is left.
pub fn grow<T>(f: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}
