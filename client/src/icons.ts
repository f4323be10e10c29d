// The icons the client uses, each imported from its own module: importing the lucide-solid
// barrel makes the Solid compiler transform every icon (~20 s of each build and test run).

export { default as ArrowDown } from 'lucide-solid/icons/arrow-down';
export { default as Check } from 'lucide-solid/icons/check';
export { default as ChevronLeft } from 'lucide-solid/icons/chevron-left';
export { default as ChevronRight } from 'lucide-solid/icons/chevron-right';
export { default as CircleAlert } from 'lucide-solid/icons/circle-alert';
export { default as CircleCheck } from 'lucide-solid/icons/circle-check';
export { default as CircleMinus } from 'lucide-solid/icons/circle-minus';
export { default as CirclePause } from 'lucide-solid/icons/circle-pause';
export { default as CircleQuestionMark } from 'lucide-solid/icons/circle-question-mark';
export { default as CircleX } from 'lucide-solid/icons/circle-x';
export { default as Copy } from 'lucide-solid/icons/copy';
export { default as Hourglass } from 'lucide-solid/icons/hourglass';
export { default as KeyRound } from 'lucide-solid/icons/key-round';
export { default as LoaderCircle } from 'lucide-solid/icons/loader-circle';
export { default as LogOut } from 'lucide-solid/icons/log-out';
export { default as Menu } from 'lucide-solid/icons/menu';
export { default as Pencil } from 'lucide-solid/icons/pencil';
export { default as Pin } from 'lucide-solid/icons/pin';
export { default as PinOff } from 'lucide-solid/icons/pin-off';
export { default as Plus } from 'lucide-solid/icons/plus';
export { default as RefreshCw } from 'lucide-solid/icons/refresh-cw';
export { default as RotateCcw } from 'lucide-solid/icons/rotate-ccw';
export { default as ScrollText } from 'lucide-solid/icons/scroll-text';
export { default as SearchCheck } from 'lucide-solid/icons/search-check';
export { default as Share2 } from 'lucide-solid/icons/share-2';
export { default as Trash2 } from 'lucide-solid/icons/trash';
export { default as TriangleAlert } from 'lucide-solid/icons/triangle-alert';
export { default as X } from 'lucide-solid/icons/x';
export { default as Zap } from 'lucide-solid/icons/zap';
