//! stub

use super::Sink;
use super::source::Settings;

pub(super) fn read(_s: &Settings, _sink: &mut Sink) {
    _sink.error(None, psephos_model::Code::CvrUnsupported, None, "not read yet".into());
}
