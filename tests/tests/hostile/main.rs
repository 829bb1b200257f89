//! The hostile corpus against the scan's reading children. A binary of its
//! own: its tests count and measure every reader child of this process, so
//! no other test's scan or CLI may run beside them in the same process.

mod inspect_hostile;
