/* The collections list: treebeard lists the top level collapsed, which is the library alone; open
   it, so that the collections inside it (one just added, say) are in view. */
(function ($) {
  "use strict";
  $(() => {  // a ready handler registered after treebeard's own, so it runs after treebeard's set-up
    const rows = document.querySelectorAll("#result_list tbody tr");
    const toggle = rows.length === 1 && rows[0].querySelector("a.treebeard-collapse.treebeard-collapsed");
    if (toggle) toggle.click();
  });
})(django.jQuery);
