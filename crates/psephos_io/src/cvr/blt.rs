//! stub

pub fn read_blt() {}
