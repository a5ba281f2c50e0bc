//! Lists longer than one request may carry (10 messages, 100 users) go out
//! as consecutive requests; these are the splitting and the error for a
//! request that fails part-way.

use crate::Error;

/// `items` in consecutive chunks of at most `size`, moved rather than cloned
/// (the common single chunk is `items` itself). Chunks are taken lazily
/// from one iterator, so each item is moved once and each chunk holds only
/// its own capacity.
pub(crate) fn owned_chunks<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let size = size.max(1);
    let (mut whole, mut rest) = if items.len() <= size {
        (
            Some(items).filter(|v| !v.is_empty()),
            Vec::new().into_iter(),
        )
    } else {
        (None, items.into_iter())
    };
    std::iter::from_fn(move || {
        whole.take().or_else(|| {
            let chunk: Vec<T> = rest.by_ref().take(size).collect();
            (!chunk.is_empty()).then_some(chunk)
        })
    })
}

/// Chunk `index` failed after `applied` items (with `ids`, when known) were
/// stored by the chunks before it.
pub(crate) fn partial(index: usize, applied: usize, ids: Vec<String>, source: Error) -> Error {
    if index == 0 {
        return source; // nothing was applied: the plain error says it all
    }
    Error::Partial {
        failed_chunk: index,
        applied,
        applied_ids: ids,
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_chunks_keep_every_item_in_order_in_full_chunks() {
        for len in 0..=35usize {
            for size in 1..=12usize {
                let items: Vec<usize> = (0..len).collect();
                let chunks: Vec<Vec<usize>> = owned_chunks(items.clone(), size).collect();
                assert_eq!(chunks.concat(), items, "len {len}, size {size}");
                assert_eq!(chunks.len(), len.div_ceil(size), "len {len}, size {size}");
                let (last, full) = chunks
                    .split_last()
                    .map_or((0, &[][..]), |(l, f)| (l.len(), f));
                assert!(full.iter().all(|c| c.len() == size));
                // No chunk keeps the capacity of what followed it.
                assert!(
                    chunks.iter().all(|c| c.capacity() <= size),
                    "len {len}, size {size}"
                );
                assert!((len == 0 && last == 0) || (1..=size).contains(&last));
            }
        }
    }
}
