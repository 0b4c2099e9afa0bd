package dev.sinewich.serve.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Lays a list of items out as the rows of one pass, in plain Java: the input images (each item's
 * images once), the rows (one per image and task) grouped by task into contiguous segments, and,
 * when rows are not simply the images, which image each row reads. Single-task items are ordered
 * by task so that no expansion is needed. Immutable.
 */
final class BatchLayout {

    /**
     * A task's rows for one item.
     *
     * @param item the item index
     * @param task the task name
     * @param firstRow the item's first row in that task's segment
     */
    record Slot(int item, String task, int firstRow) {}

    private final List<Integer> inputOrder;
    private final Map<String, int[]> segments;
    private final List<Slot> slots;
    private final long[] expansion;

    private BatchLayout(List<Integer> inputOrder, Map<String, int[]> segments, List<Slot> slots,
            long[] expansion) {
        this.inputOrder = inputOrder;
        this.segments = segments;
        this.slots = slots;
        this.expansion = expansion;
    }

    /**
     * Lays out items.
     *
     * @param items the items
     * @return the layout
     */
    static BatchLayout of(List<ForwardItem> items) {
        List<String> taskOrder = new ArrayList<>();
        for (ForwardItem item : items) {
            for (String t : item.tasks()) {
                if (!taskOrder.contains(t)) {
                    taskOrder.add(t);
                }
            }
        }
        boolean oneTaskEach = items.stream().allMatch(i -> i.tasks().size() == 1);
        List<Integer> inputOrder = new ArrayList<>();
        if (oneTaskEach) {
            for (String t : taskOrder) {
                for (int i = 0; i < items.size(); i++) {
                    if (items.get(i).tasks().get(0).equals(t)) {
                        inputOrder.add(i);
                    }
                }
            }
        } else {
            for (int i = 0; i < items.size(); i++) {
                inputOrder.add(i);
            }
        }
        int[] firstImage = new int[items.size()];
        int images = 0;
        for (int i : inputOrder) {
            firstImage[i] = images;
            images += items.get(i).images().count();
        }
        Map<String, int[]> segments = new LinkedHashMap<>();
        List<Slot> slots = new ArrayList<>();
        List<Long> rowImage = new ArrayList<>();
        for (String t : taskOrder) {
            int start = rowImage.size();
            for (int i : inputOrder) {
                ForwardItem item = items.get(i);
                if (item.tasks().contains(t)) {
                    slots.add(new Slot(i, t, rowImage.size()));
                    for (int k = 0; k < item.images().count(); k++) {
                        rowImage.add((long) firstImage[i] + k);
                    }
                }
            }
            segments.put(t, new int[] {start, rowImage.size()});
        }
        long[] expansion = null;
        if (!oneTaskEach) {
            expansion = rowImage.stream().mapToLong(Long::longValue).toArray();
        }
        return new BatchLayout(List.copyOf(inputOrder), segments, List.copyOf(slots), expansion);
    }

    /** Returns the item indices in the order their images are stacked into the input. */
    List<Integer> inputOrder() {
        return inputOrder;
    }

    /** Returns each task's segment {start, end} of rows, in row order. */
    Map<String, int[]> segments() {
        return segments;
    }

    /** Returns where each (item, task) pair's rows are. */
    List<Slot> slots() {
        return slots;
    }

    /** Returns each row's image index, or {@code null} when rows are the stacked images. */
    long[] expansion() {
        return expansion == null ? null : expansion.clone();
    }
}
