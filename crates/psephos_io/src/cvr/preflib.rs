//! stub

pub fn read_preflib() {}
