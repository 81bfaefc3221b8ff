//! Demo DPSs.
