// Loaded without defer in <head>: styles under .js apply before first paint.
document.documentElement.classList.add("js");
