//! Page data: the resources a page loads, rendered on the server and handed to the browser
//! inside the page, so hydration does not fetch them again.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON, read from bytes. Server functions' answers are read that way (server_fn's `Json`
/// uses `serde_json::from_slice`); Leptos's default resource codec reads from a `&str`,
/// which is a second reader, so the browser's code held two JSON decoders for every type a
/// page loads. With one, the WASM is smaller (`scripts/bench wasm`).
pub struct JsonBytes;

impl<T: Serialize> Encoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for JsonBytes {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// A page's data, loaded by `fetcher` whenever `source` changes.
pub type PageData<T> = Resource<T, JsonBytes>;

/// [`Resource::new`] with [`JsonBytes`]: every resource of the app is made here.
#[track_caller]
pub fn page_data<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> PageData<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_data_round_trips_through_its_codec() {
        let value: Result<Vec<(i64, String)>, crate::error::AppError> = Ok(vec![(7, "Ann \"Lee\" — café".into())]);
        let text = <JsonBytes as Encoder<_>>::encode(&value).unwrap();
        let back: Result<Vec<(i64, String)>, crate::error::AppError> = <JsonBytes as Decoder<_>>::decode(&text).unwrap();
        assert_eq!(back, value);
        let refused: Result<(), crate::error::AppError> = Err(crate::error::AppError::invalid("email", "Enter an address"));
        let text = <JsonBytes as Encoder<_>>::encode(&refused).unwrap();
        assert_eq!(<JsonBytes as Decoder<Result<(), crate::error::AppError>>>::decode(&text).unwrap(), refused);
    }
}
